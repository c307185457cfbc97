/*
 * Choosing a filter's record by its name on the event list (templates/includes/filter_form.html).
 *
 * Each box marked `name-input` becomes a WAI-ARIA combobox with a list of suggestions read
 * from its `data-suggest` address (cooperation/suggest.py). The box shows names; a hidden
 * input carries what the address needs: the picked record's slug (or country code), or the
 * text typed, which the server resolves as it does without this script. Empty fields are
 * left out of the submitted address.
 */
(function () {
  "use strict";

  var form = document.querySelector("form.filter-form");
  if (!form) {
    return;
  }

  var status = document.createElement("div");
  status.setAttribute("role", "status");
  status.className = "visually-hidden";
  form.appendChild(status);

  function announce(count) {
    var text;
    if (count === 0) {
      text = form.dataset.none;
    } else if (count === 1) {
      text = form.dataset.one;
    } else {
      text = form.dataset.many.replace("%(count)s", String(count));
    }
    status.textContent = text || "";
  }

  function enhance(input) {
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = input.name;
    hidden.value = input.dataset.value || input.value;
    input.removeAttribute("name");
    input.insertAdjacentElement("afterend", hidden);

    var label = form.querySelector('label[for="' + input.id + '"]');
    var list = document.createElement("ul");
    list.id = input.id + "_listbox";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    // Named apart from its box ("Topic: suggestions"), which the label names alone.
    var named = label ? label.textContent.trim() : input.id;
    list.setAttribute("aria-label", named + ": " + (form.dataset.suggestions || ""));
    list.hidden = true;
    hidden.insertAdjacentElement("afterend", list);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var options = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var asked = "";

    function open() {
      if (options.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      setActive(-1);
    }

    function setActive(index) {
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "false");
      }
      active = index;
      if (index < 0 || !options[index]) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      var option = options[index];
      option.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }

    function pick(index) {
      var option = options[index];
      if (!option) {
        return;
      }
      input.value = option.textContent;
      hidden.value = option.dataset.value;
      close();
    }

    function show(results) {
      list.textContent = "";
      options = results.map(function (result, index) {
        var option = document.createElement("li");
        option.id = list.id + "_" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        if (result.lang) {
          option.lang = result.lang;
        }
        option.dataset.value = result.value;
        option.textContent = result.label;
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the box
        });
        option.addEventListener("click", function () {
          pick(index);
        });
        list.appendChild(option);
        return option;
      });
      active = -1;
      announce(options.length);
      if (options.length && document.activeElement === input) {
        open();
      } else {
        close();
      }
    }

    function ask() {
      var text = input.value.trim();
      if (!text) {
        asked = "";
        show([]);
        status.textContent = "";
        return;
      }
      if (text === asked) {
        open();
        return;
      }
      asked = text;
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      var url = input.dataset.suggest + "?q=" + encodeURIComponent(text);
      fetch(url, { headers: { Accept: "application/json" }, signal: pending.signal })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (asked === text) {
            show(data.results || []);
          }
        })
        .catch(function () {
          /* an aborted or failed request leaves the box a plain text field */
        });
    }

    input.addEventListener("input", function () {
      // Typed text is sent as it is (the server resolves a name) until a suggestion is picked.
      hidden.value = input.value;
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });

    input.addEventListener("keydown", function (event) {
      var expanded = !list.hidden;
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (!expanded) {
            if (options.length) {
              open();
              setActive(0);
            } else {
              ask();
            }
          } else {
            setActive((active + 1) % options.length);
          }
          break;
        case "ArrowUp":
          event.preventDefault();
          if (!expanded && options.length) {
            open();
            setActive(options.length - 1);
          } else if (expanded) {
            setActive(active <= 0 ? options.length - 1 : active - 1);
          }
          break;
        case "Enter":
          if (expanded && active >= 0) {
            event.preventDefault(); // picking is not submitting
            pick(active);
          }
          break;
        case "Escape":
          if (expanded) {
            event.preventDefault();
            close();
          } else if (input.value) {
            event.preventDefault();
            input.value = "";
            hidden.value = "";
          }
          break;
        case "Tab":
          close();
          break;
        default:
          break;
      }
    });

    input.addEventListener("blur", function () {
      close();
    });
  }

  Array.prototype.forEach.call(form.querySelectorAll("input.name-input"), enhance);

  // An empty field names nothing: it stays out of the address.
  form.addEventListener("formdata", function (event) {
    var empty = [];
    event.formData.forEach(function (value, key) {
      if (typeof value === "string" && value.trim() === "") {
        empty.push(key);
      }
    });
    empty.forEach(function (key) {
      var kept = event.formData.getAll(key).filter(function (value) {
        return typeof value !== "string" || value.trim() !== "";
      });
      event.formData.delete(key);
      kept.forEach(function (value) {
        event.formData.append(key, value);
      });
    });
  });
})();
