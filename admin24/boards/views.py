"""The board's pages. Each receives the ``Board`` it serves from its URL pattern."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from .cards import cards_html
from .counts import CappedPaginator


def _context(request, board, form, **extra):
    urls = {kind: board.url(kind) for kind in ("board", "column", "move", "list", "csv")}
    urls["create"] = board.create_url(request.user)
    return {"board": board, "urls": urls, "filters": form, "filter_query": form.active_querystring(), **extra}


@login_required
@require_GET
def board_page(request, board):
    form = board.filter_form(request.user, request.GET)
    columns = board.columns(request.user, form)
    return render(request, "boards/board.html", _context(request, board, form, columns=columns))


@login_required
@require_GET
def board_column(request, board):
    """The next page of one column ("show more"), as an HTMX partial."""
    stage = board.stage(request.GET.get("stage", ""))
    try:
        offset = int(request.GET.get("offset", "0"))
    except ValueError:
        offset = -1
    if stage is None or offset < 0:
        return HttpResponseBadRequest(gettext("Unknown column or page."))
    form = board.filter_form(request.user, request.GET)
    cards, next_offset = board.cards(board.filtered(request.user, form), stage, offset)
    context = _context(request, board, form, stage=stage, cards_html=cards_html(cards), next_offset=next_offset)
    return render(request, "boards/board.html#more_cards", context)


@login_required
@require_POST
def board_move(request, board):
    """Drag-and-drop lands here: the one move service decides, the board reports back."""
    try:
        pk = int(request.POST.get("pk", ""))
    except ValueError:
        return JsonResponse({"error": gettext("Which card to move was not said.")}, status=400)
    obj = board.readable(request.user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    to, reason = request.POST.get("to", ""), request.POST.get("reason", "")[:2000]
    outcome = board.try_move(obj, to, by=request.user, reason=reason)
    if not outcome.ok:
        return JsonResponse({"error": outcome.message, "allowed": outcome.allowed}, status=outcome.status)
    # The column heads are recomputed with the filters the user is looking at, sent along with the move.
    form = board.filter_form(request.user, request.POST)
    columns = {
        column.stage.slug: {"count": column.count, "label": column.count_label, "total": column.total_display}
        for column in board.column_heads(board.filtered(request.user, form), form)
    }
    return JsonResponse({"columns": columns})


SORT_PARAM = "sort"


def _sorting(board, request) -> tuple[str, list[str]]:
    sortable = {f.sort for f in board.list_fields if f.sort}
    requested = request.GET.get(SORT_PARAM, "")
    if requested.lstrip("-") in sortable:
        return requested, [requested, "-pk"]
    return "", [f"-{board.created_field}", "-pk"]


@login_required
@require_GET
def board_list(request, board):
    form = board.filter_form(request.user, request.GET)
    current, order = _sorting(board, request)
    queryset = board.with_card_fields(board.filtered(request.user, form)).order_by(*order)
    page = CappedPaginator(queryset, board.list_per_page).get_page(request.GET.get("page"))
    rows = [
        (obj, board.card_url(obj), [(field.value(obj), field.link) for field in board.list_fields])
        for obj in page.object_list
    ]
    headers = []
    for field in board.list_fields:
        state = "asc" if current == field.sort else "desc" if field.sort and current == f"-{field.sort}" else ""
        headers.append(
            {
                "label": field.label,
                "sort": field.sort,
                "state": state,
                "next": f"-{field.sort}" if state == "asc" else field.sort,
            }
        )
    context = _context(request, board, form, page=page, rows=rows, headers=headers, sort=current, sort_param=SORT_PARAM)
    return render(request, "boards/list.html", context)


@login_required
@require_GET
def board_csv(request, board):
    form = board.filter_form(request.user, request.GET)
    _, order = _sorting(board, request)
    lines = board.csv_lines(board.filtered(request.user, form).order_by(*order))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{board.csv_filename}"'
    return response
