"""The web pages, one module per domain, each a thin layer over the owning app's selectors
and services: catalog (home, search, agencies, counterparts, jurisdictions, coverage), open
data, metrics, cases, action items, flags, accounts. web/urls.py maps them."""
