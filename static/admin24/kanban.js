/* The kanban board: SortableJS drags, the server decides (DESIGN.md "UI").
 * A card dropped in another column is POSTed to the board's move endpoint. The server runs the
 * one move service; on refusal the card goes back where it was and the reason is shown. */
(function () {
  "use strict";

  function showMessage(text) {
    const box = document.getElementById("kanban-messages");
    const alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible shadow kanban-error";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    alert.appendChild(close);
    box.appendChild(alert);
    setTimeout(function () { alert.remove(); }, 8000);
  }

  function putBack(evt) {
    const item = evt.item;
    const reference = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(item, reference);
  }

  function updateColumns(board, columns) {
    Object.keys(columns).forEach(function (slug) {
      const count = board.querySelector('[data-count-for="' + slug + '"]');
      if (count) count.textContent = columns[slug].label;
      const total = board.querySelector('[data-total-for="' + slug + '"]');
      if (total) total.textContent = columns[slug].total;
    });
  }

  async function move(board, evt) {
    const item = evt.item;
    const body = new URLSearchParams(board.dataset.filters || "");
    body.set("pk", item.dataset.pk);
    body.set("to", evt.to.dataset.stage);
    if (evt.to.hasAttribute("data-needs-reason")) {
      const reason = window.prompt(board.dataset.reasonPrompt, "");
      if (reason === null) { putBack(evt); return; }
      body.set("reason", reason);
    }
    item.classList.add("kanban-card-moving");
    let response, data = {};
    try {
      response = await fetch(board.dataset.moveUrl, {
        method: "POST",
        headers: {"X-CSRFToken": board.dataset.csrf, "X-Requested-With": "fetch"},
        body: body,
        credentials: "same-origin",
      });
      data = await response.json().catch(function () { return {}; });
    } catch (error) {
      response = null;
    }
    item.classList.remove("kanban-card-moving");
    if (!response || !response.ok) {
      putBack(evt);
      showMessage(data.error || board.dataset.failed);
      return;
    }
    updateColumns(board, data.columns || {});
  }

  function init(board) {
    board.querySelectorAll(".kanban-cards").forEach(function (list) {
      Sortable.create(list, {
        group: "kanban",
        animation: 150,
        draggable: ".kanban-card",
        filter: ".kanban-card-moving",
        onEnd: function (evt) {
          if (evt.from !== evt.to) move(board, evt);
        },
      });
    });
    // "Show more" may bring a card the user has just dragged into this column: keep one copy.
    board.addEventListener("htmx:afterSwap", function (evt) {
      const seen = new Set();
      evt.detail.target.querySelectorAll(".kanban-card").forEach(function (card) {
        if (seen.has(card.dataset.pk)) card.remove(); else seen.add(card.dataset.pk);
      });
    });
  }

  document.querySelectorAll("[data-kanban]").forEach(init);
})();
