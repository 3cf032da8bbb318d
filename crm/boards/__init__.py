"""The CRM's boards: each a ``Board`` from the one kanban component, plugged into its pipeline.

``leads``: the lead board; ``deals``: one board per deal pipeline, with a switcher between them.
"""

from .deals import DealBoard, RegularDealBoard, deal_board, regular_deal_board
from .leads import LeadBoard, lead_board

__all__ = ["DealBoard", "LeadBoard", "RegularDealBoard", "deal_board", "lead_board", "regular_deal_board"]
