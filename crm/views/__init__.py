"""The CRM's staff and public pages: thin views over ``crm.services``, access checked here."""
