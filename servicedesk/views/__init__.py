"""The staff's Service Desk pages: the ticket card, "my tickets", settings (the board and list pages
are the ticket board's own: ``servicedesk.boards``)."""
