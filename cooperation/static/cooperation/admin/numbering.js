/*
 * A row added with "Add another" to an inline with an order number (members, participants,
 * sources, activities, signatories…) starts at the next free number: one more than the
 * highest number of the rows already there, instead of the same default for every new row,
 * which a meeting's participants may not share. The server gives a row left without a
 * number the next free one too, so this is a convenience, not the rule.
 */
'use strict';
{
    function orderInputs(formsetName) {
        const pattern = new RegExp('^' + formsetName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') +
                                   '-\\d+-order$');
        return Array.from(document.querySelectorAll('input[name$="-order"]'))
            .filter((input) => pattern.test(input.name));
    }

    document.addEventListener('formset:added', (event) => {
        const formsetName = event.detail && event.detail.formsetName;
        const row = event.target;
        if (!formsetName || !row || !row.id) {
            return;
        }
        // The row's own number, not one of a row nested inside it (a new meeting's
        // participants).
        const own = document.getElementById('id_' + row.id + '-order');
        if (!own) {
            return;
        }
        const numbers = orderInputs(formsetName)
            .filter((input) => input !== own)
            .map((input) => parseInt(input.value, 10))
            .filter((number) => !Number.isNaN(number));
        own.value = String(Math.max(0, ...numbers) + 1);
    });
}
