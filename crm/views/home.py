from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    """The CRM opens on the lead board, where new work arrives."""
    return redirect("crm:leads_board")
