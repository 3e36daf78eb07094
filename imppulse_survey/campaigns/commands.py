"""``flask imppulse campaign …``, ``invitations …`` and ``poster``: create and run campaigns, and hand them out."""

from __future__ import annotations

import csv

import click
from flask import current_app
from flask.cli import AppGroup

from ..config import SUPPORTED_LANGUAGES
from ..core.commands import committing, language_list, parse_datetime, reading
from ..core.links import default_base_url
from ..questionnaires import services as questionnaires
from ..questionnaires.commands import published_version
from . import services as campaigns
from .services import CampaignError

#: the domain's commands; ``imppulse_survey/cli.py`` adds them, not this group, under ``flask imppulse``
cli = AppGroup(__name__)
campaign_cli = AppGroup("campaign", help="Create and run campaigns.")
invitations_cli = AppGroup("invitations", help="Single-use invitations for officers.")
cli.add_command(campaign_cli)
cli.add_command(invitations_cli)


@campaign_cli.command("create")
@click.argument("slug")
@click.option("--city", "city_slug", required=True, help="City slug, e.g. nantes.")
@click.option("--questionnaire", "questionnaire_key", required=True, help="Questionnaire key.")
@click.option("--version", "number", type=int, help="Questionnaire version (default: the latest).")
@click.option("--access", type=click.Choice(campaigns.ACCESS_MODES), default=None,
              help="open link or invitations (default: open for residents, invitation for officers).")
@click.option("--languages", type=str, default=None, help="Comma-separated, e.g. fr,en (default: the city's, then en).")
@click.option("--default-language", default=None)
@click.option("--threshold", type=int, default=None, help="Disclosure threshold (at least 5).")
@click.option("--wave", "wave_label", default="baseline", show_default=True, help="Label of the first wave.")
@click.option("--opens", default=None, help="Opening date and time (ISO 8601, UTC unless given).")
@click.option("--closes", default=None, help="Closing date and time.")
@click.option("--retention-months", type=int, default=60, show_default=True,
              help="Responses are purged this many months after their wave closes.")
@click.option("--text-retention-months", type=int, default=12, show_default=True,
              help="Free texts are purged this many months after their wave closes.")
@click.option("--forces", multiple=True, metavar="LANG=TEXT", help="The police forces residents deal with.")
@click.option("--organiser", multiple=True, metavar="LANG=TEXT", help="Who runs the survey.")
@committing
def campaign_create(slug, city_slug, questionnaire_key, number, access, languages, default_language, threshold,
                    wave_label, opens, closes, retention_months, text_retention_months, forces, organiser):
    """Create a campaign with its first wave (and, for officers, the wave's key pair, printed once)."""
    city = campaigns.find_city(city_slug)
    version = questionnaires.find_version(questionnaire_key, number)
    if version is None:
        raise CampaignError(f"no published questionnaire '{questionnaire_key}'")
    audience = version.questionnaire.audience
    chosen = language_list(languages) if languages else _default_languages(city, version.definition["languages"])
    campaign = campaigns.create_campaign(
        slug=slug,
        city=city,
        version=version,
        access_mode=access or ("invitation" if audience == "officer" else "open"),
        languages=chosen,
        default_language=default_language or chosen[0],
        disclosure_threshold=current_app.config["DEFAULT_DISCLOSURE_THRESHOLD"] if threshold is None else threshold,
        retention_months=retention_months,
        text_retention_months=text_retention_months,
        forces=_by_language(forces),
        organiser=_by_language(organiser),
    )
    wave = campaigns.add_wave(campaign, wave_label, parse_datetime(opens), parse_datetime(closes))
    click.echo(f"created {slug} ({audience}, {campaign.access_mode}, {','.join(campaign.languages)}) "
               f"with wave {wave_label}")
    show_new_wave_key(wave)


def _default_languages(city, offered):
    preferred = [city.default_language, "en"]
    return [language for language in dict.fromkeys(preferred) if language in offered] or [offered[0]]


@campaign_cli.command("list")
@reading
def campaign_list():
    """List campaigns with their waves and response counts."""
    counts = campaigns.response_counts()
    for campaign in campaigns.list_campaigns():
        waves = ", ".join(f"{wave.label}:{'released' if wave.released_dt else wave.status()}"
                          for wave in campaign.waves) or "no wave"
        invitations = (f"  {campaigns.invitations_used(campaign)}/{campaign.invitations_issued} invitations used"
                       if campaign.access_mode == "invitation" else "")
        click.echo(f"{campaign.slug:<32} {campaign.city.name:<18} {campaign.audience:<9} {campaign.access_mode:<10} "
                   f"{counts.get(campaign.id, 0):>7} responses  {waves}{invitations}")


@campaign_cli.command("open")
@click.argument("slug")
@click.option("--wave", "wave_label", default=None, help="Wave to open (created if new; default: the next scheduled).")
@click.option("--version", "number", type=int, default=None,
              help="Questionnaire version the wave uses, if new or not started (default: the wave before's).")
@committing
def campaign_open(slug, wave_label, number):
    """Open fieldwork now (an officers' wave gets its key pair here if it has none: printed once)."""
    campaign = campaigns.find_campaign(slug)
    version = published_version(campaign.questionnaire_version.questionnaire.key, number) if number else None
    wave = campaigns.open_wave(campaign, wave_label, version=version)
    click.echo(f"{slug}: wave {wave.label} is open, on version {wave.questionnaire_version.number}")
    show_new_wave_key(wave)


@campaign_cli.command("texts")
@click.argument("slug")
@click.option("--forces", multiple=True, metavar="LANG=TEXT", help="The police forces residents deal with.")
@click.option("--organiser", multiple=True, metavar="LANG=TEXT", help="Who runs the survey.")
@committing
def campaign_texts(slug, forces, organiser):
    """Give the campaign's own words for the questionnaire's {forces} and {organiser}, per language."""
    campaign = campaigns.find_campaign(slug)
    campaigns.set_campaign_texts(campaign, forces=_by_language(forces), organiser=_by_language(organiser))
    for name in ("forces", "organiser"):
        for language, given in sorted(getattr(campaign, name).items()):
            click.echo(f"{slug} {name} ({language}): {given}")


def _by_language(pairs) -> dict[str, str]:
    texts = {}
    for pair in pairs:
        language, separator, value = pair.partition("=")
        if not separator or language.strip() not in SUPPORTED_LANGUAGES or not value.strip():
            raise click.BadParameter(f"{pair!r}: give LANG=TEXT, LANG among {', '.join(SUPPORTED_LANGUAGES)}")
        texts[language.strip()] = value.strip()
    return texts


@campaign_cli.command("retention")
@click.argument("slug")
@click.option("--months", type=int, required=True, help="Months after a wave closes that its responses are kept.")
@click.option("--text-months", type=int, required=True, help="Months after a wave closes that free texts are kept.")
@committing
def campaign_retention(slug, months, text_months):
    """Set how long a campaign keeps responses and free texts (flask imppulse purge deletes the rest)."""
    campaigns.set_retention(campaigns.find_campaign(slug), months, text_months)
    click.echo(f"{slug}: responses kept {months} months and free texts {text_months} months after each wave closes")


@campaign_cli.command("threshold")
@click.argument("slug")
@click.argument("threshold", type=int)
@committing
def campaign_threshold(slug, threshold):
    """Set the disclosure threshold (once fieldwork has started, it can only be raised; reissue releases after)."""
    campaigns.set_threshold(campaigns.find_campaign(slug), threshold)
    click.echo(f"{slug}: disclosure threshold {threshold}; releases made before keep theirs until reissued")


def show_new_wave_key(wave) -> None:
    """Give an invitation campaign's wave its key pair and print the private key, the only time it exists."""
    if wave.campaign.access_mode != "invitation" or wave.public_key is not None:
        return
    private_key = campaigns.issue_wave_key(wave)
    click.echo(
        f"\nThe private key of wave {wave.label} is printed below, once: it is stored nowhere. Officers' answers\n"
        "are sealed to it and can be released only with it (flask imppulse release). Keep it offline, away\n"
        "from whoever administers the server; without it these answers can never be released.\n")
    click.echo(private_key)


@campaign_cli.command("close")
@click.argument("slug")
@committing
def campaign_close(slug):
    """Close the open wave now."""
    wave = campaigns.close_wave(campaigns.find_campaign(slug))
    click.echo(f"{slug}: wave {wave.label} is closed")


@invitations_cli.command("create")
@click.argument("slug")
@click.argument("count", type=int)
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True),
              help="CSV file to write the tokens and links to; it is the only copy of the tokens.")
@click.option("--cards", "cards_path", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Also write a printable page of unnamed cards, one QR code and link each (HTML, A4).")
@click.option("--base-url", default=default_base_url, show_default="PUBLIC_BASE_URL, else http://127.0.0.1:$PORT",
              help="Where the survey is served.")
@committing
def invitations_create(slug, count, out_path, cards_path, base_url):
    """Create COUNT single-use invitations and write them, shuffled, to a CSV file (and printable cards).

    Hand the cards out at random and keep no record of who got which: a used invitation is deleted, and the
    answers are sealed, so the cards are what officers' anonymity rests on.
    """
    from .cards import invitation_cards  # QR codes: loaded by the commands that draw them, not by every worker

    campaign = campaigns.find_campaign(slug)
    tokens = campaigns.create_invitations(campaign, count)
    links = [campaigns.invitation_link(base_url, token) for token in tokens]
    write_new_file(out_path, lambda out: csv.writer(out).writerows([["token", "link"], *zip(tokens, links)]))
    click.echo(f"{slug}: {count} invitations written to {out_path}")
    if cards_path:
        write_new_file(cards_path, lambda out: out.write(invitation_cards(campaign, links)))
        click.echo(f"{slug}: printable cards written to {cards_path}")


def write_new_file(path: str, write) -> None:
    """Write a file that must not exist yet: tokens are never overwritten."""
    try:
        with open(path, "x", newline="", encoding="utf-8") as out:
            write(out)
    except FileExistsError:
        raise CampaignError(f"{path} exists already; choose a new file so that no tokens are overwritten") from None
    except OSError as error:
        raise CampaignError(f"cannot write {path}: {error.strerror}") from None


@cli.command("poster")
@click.argument("slug")
@click.option("--lang", required=True, type=click.Choice(SUPPORTED_LANGUAGES))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True), help="SVG file.")
@click.option("--base-url", default=default_base_url, show_default="PUBLIC_BASE_URL, else http://127.0.0.1:$PORT",
              help="Where the survey is served.")
@reading
def poster(slug, lang, out_path, base_url):
    """Write a printable A4 poster (SVG) with the QR code of an open campaign's link."""
    from .posters import poster_svg  # as invitation_cards

    campaign = campaigns.find_campaign(slug)
    if campaign.access_mode != "open":
        raise CampaignError(f"{slug} is by invitation; posters are for open campaigns")
    if lang not in campaign.languages:
        raise CampaignError(f"{slug} is offered in {', '.join(campaign.languages)}")
    try:
        with open(out_path, "w", encoding="utf-8") as out:
            out.write(poster_svg(campaign, lang, base_url))
    except OSError as error:
        raise CampaignError(f"cannot write {out_path}: {error.strerror}")
    click.echo(f"{slug}: poster in {lang} written to {out_path}")
