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
