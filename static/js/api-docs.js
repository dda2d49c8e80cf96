// The browsable API docs: Swagger UI (from npm) reading /api/schema/.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    domNode: root,
    deepLinking: true,
    // Try-it-out POSTs carry the CSRF token, as the pages do.
    requestInterceptor: function (request) {
      var match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
      if (match) request.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
      return request;
    },
  });
})();
