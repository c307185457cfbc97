/*
 * The registry's slug rule in the admin (cooperation/slugs.py says it in Python): a title
 * longer than the slug field is cut at a word, never inside one, and a year or a range of
 * years at its end is kept ("…-for-2021-2023", never "…-for-2").
 *
 * Django's prepopulate.js cuts at the field's maxlength wherever that falls; this file,
 * loaded after it, replaces django.jQuery.fn.prepopulate for every slug field the admin
 * fills as a title is typed, on the page and in inline rows added later.
 */
'use strict';
{
    // Letters Unicode does not decompose into a Latin letter and a mark (slugs.LETTERS).
    const LETTERS = {
        'ə': 'e', 'Ə': 'E', 'ı': 'i', 'ß': 'ss', 'æ': 'ae', 'Æ': 'AE', 'œ': 'oe', 'Œ': 'OE',
        'ø': 'o', 'Ø': 'O', 'đ': 'd', 'Đ': 'D', 'ð': 'd', 'Ð': 'D', 'ł': 'l', 'Ł': 'L',
        'þ': 'th', 'Þ': 'TH'
    };
    const TRAILING_YEARS = /-\d{4}(?:-\d{4})?$/;

    // As Django's slugify(): ASCII only, lower case, words joined by single hyphens.
    function slugify(text) {
        let s = Array.from(String(text), (c) => LETTERS[c] || c).join('');
        s = s.normalize('NFKD').replace(/[^\x00-\x7f]/g, '');
        s = s.toLowerCase().replace(/[^\w\s-]/g, '');
        return s.replace(/[-\s]+/g, '-').replace(/^[-_]+|[-_]+$/g, '');
    }

    function shorten(slug, maxLength) {
        if (!maxLength || slug.length <= maxLength) {
            return slug;
        }
        const years = TRAILING_YEARS.exec(slug);
        let tail = '';
        // The years fit, at least on their own (without their leading hyphen).
        if (years && years[0].length - 1 <= maxLength) {
            tail = years[0];
            slug = slug.slice(0, years.index);
        }
        const room = Math.max(maxLength - tail.length, 0);
        let head = slug.slice(0, room);
        if (slug.length > room && slug[room] !== '-' && head.includes('-')) {
            head = head.slice(0, head.lastIndexOf('-'));
        }
        head = head.replace(/^-+|-+$/g, '');
        return head ? head + tail : tail.replace(/^-+/, '');
    }

    function slugFor(text, maxLength, allowUnicode) {
        // A Unicode slug keeps its letters, as Django's URLify() does; only the cut is ours.
        const slug = allowUnicode ? window.URLify(text, Infinity, true) : slugify(text);
        return shorten(slug, Number(maxLength) || 0);
    }

    window.registrySlug = {slugify: slugify, shorten: shorten, slugFor: slugFor};

    const $ = window.django && window.django.jQuery;
    if ($) {
        // As Django's prepopulate.js, with the registry's rule in place of URLify's cut.
        $.fn.prepopulate = function(dependencies, maxLength, allowUnicode) {
            return this.each(function() {
                const prepopulatedField = $(this);
                const populate = function() {
                    // A slug the user typed is left as it is.
                    if (prepopulatedField.data('_changed')) {
                        return;
                    }
                    const values = [];
                    $.each(dependencies, function(i, field) {
                        const value = $(field).val();
                        if (value && value.length > 0) {
                            values.push(value);
                        }
                    });
                    prepopulatedField.val(slugFor(values.join(' '), maxLength, allowUnicode));
                };
                prepopulatedField.data('_changed', false);
                prepopulatedField.on('change', function() {
                    prepopulatedField.data('_changed', true);
                });
                if (!prepopulatedField.val()) {
                    $(dependencies.join(',')).on('keyup change focus', populate);
                }
            });
        };
    }
}
