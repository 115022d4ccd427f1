// Progressive enhancement only: every page works without this file.
// When an htmx request ends in an error page (an expired form, a server error), show that page
// instead of leaving the old one as if nothing had happened.
document.addEventListener('htmx:responseError', function (event) {
  var xhr = event.detail.xhr;
  if (!xhr || !xhr.responseText) return;
  document.open();
  document.write(xhr.responseText);
  document.close();
});

// While a form's htmx request is in flight ("Run now", "Test"), its buttons say so: aria-busy (Pico
// draws a spinner) on the buttons inside it and on those outside that submit it (form="…").
function submitButtons(form) {
  var buttons = Array.prototype.slice.call(form.querySelectorAll('button'));
  if (form.id) buttons = buttons.concat(Array.prototype.slice.call(document.querySelectorAll('button[form="' + form.id + '"]')));
  return buttons;
}
document.addEventListener('htmx:beforeRequest', function (event) {
  var elt = event.detail.elt;
  if (!elt || elt.tagName !== 'FORM') return;
  submitButtons(elt).forEach(function (b) { b.setAttribute('aria-busy', 'true'); });
});
document.addEventListener('htmx:afterRequest', function (event) {
  var elt = event.detail.elt;
  if (!elt || elt.tagName !== 'FORM') return;
  submitButtons(elt).forEach(function (b) { b.removeAttribute('aria-busy'); });
});
