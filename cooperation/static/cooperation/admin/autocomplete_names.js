/* The admin's autocomplete boxes named after their fields.
 *
 * Django's autocomplete fields (admin/js/autocomplete.js) are drawn by select2 4.0 beside the
 * <select> they replace, and the <select>'s label does not reach them: select2 names its box
 * by the text of the choice (an empty box has no name), gives a multiple choice's box no name,
 * and its search field no label. Each is pointed here at the label of its <select> (a visible
 * label, or the visually hidden one of a table's cell: templates/admin/includes/
 * tabular_input.html). The "×" that clears a choice is a mouse shortcut (Backspace does the
 * same) and is hidden from assistive technology, which read it as an item of the list of
 * choices.
 *
 * Boxes drawn later (a row added with "Add another", a choice made, a dropdown opened) are
 * named as they appear.
 */
"use strict";
{
    function labelOf(select) {
        if (!select || !select.id) {
            return null;
        }
        const label = document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
        if (label && !label.id) {
            label.id = `${select.id}_label`;
        }
        return label;
    }

    function nameBox(container) {
        const label = labelOf(container.previousElementSibling);
        if (!label) {
            return;
        }
        const box = container.querySelector(".select2-selection");
        if (box) {
            // The single choice's box is read as its label, then the choice it shows.
            const shown = box.querySelector(".select2-selection__rendered[id]");
            box.setAttribute("aria-labelledby", shown ? `${label.id} ${shown.id}` : label.id);
            if (shown && shown.getAttribute("role") === "textbox") {
                shown.setAttribute("aria-labelledby", label.id);
            }
        }
        for (const field of container.querySelectorAll(".select2-search__field")) {
            field.setAttribute("aria-labelledby", label.id);
        }
        for (const clear of container.querySelectorAll(".select2-selection__clear")) {
            clear.setAttribute("aria-hidden", "true");
        }
    }

    function nameDropdownSearch(field) {
        // An open dropdown's search field controls the results list "select2-<id>-results".
        const match = /^select2-(.+)-results$/.exec(field.getAttribute("aria-controls") || "");
        const label = match && labelOf(document.getElementById(match[1]));
        if (label) {
            field.setAttribute("aria-labelledby", label.id);
        }
    }

    function nameAll() {
        for (const container of document.querySelectorAll("select + .select2-container")) {
            nameBox(container);
        }
        for (const field of document.querySelectorAll(".select2-dropdown .select2-search__field")) {
            nameDropdownSearch(field);
        }
    }

    let pending = false;
    function nameSoon() {
        if (!pending) {
            pending = true;
            queueMicrotask(() => {
                pending = false;
                nameAll();
            });
        }
    }

    document.addEventListener("DOMContentLoaded", () => {
        nameAll();
        // Attributes only are set here, and only added or removed nodes are watched.
        new MutationObserver(nameSoon).observe(document.body, {childList: true, subtree: true});
    });
}
