"""The staff's Service Desk pages: the ticket board and list, the ticket card, "my tickets", settings."""
