"""Demo data: a sample district, framework, credentials and accounts (``flask demo ...``)."""
