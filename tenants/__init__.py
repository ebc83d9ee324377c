"""Everything a workspace owns: the database session, models, tenant scoping and services.

This package imports neither Flask nor the other Amparo packages, so services run the same in
a request, a job or a script.
"""
