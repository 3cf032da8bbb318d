"""The CRM's forms, one module per entity as in ``crm.views``: ``directory`` (companies, contacts),
``leads``, ``deals``, ``tasks`` and ``public`` (the public lead form, shared with the API); ``common``
holds what the staff forms share. They validate input; the services in ``crm.services`` act on it.
"""
