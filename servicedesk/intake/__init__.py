"""Intake channels: each turns outside input into the same ``services.create_ticket`` call.

``forms.PublicTicketForm`` holds the one validation of the web form and the public API;
``guards`` holds the anti-abuse checks both share; ``web.submit`` creates the ticket.
"""
