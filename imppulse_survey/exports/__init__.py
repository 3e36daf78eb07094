"""Downloads: a release's aggregated indicators, and its k-anonymised microdata with a codebook."""
