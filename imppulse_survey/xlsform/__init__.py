"""XLSForm in and out: questionnaires read from and written as XLSForms, and street interviews collected offline in
ODK Collect or KoboCollect imported into a campaign's wave (docs/xlsform.md)."""
