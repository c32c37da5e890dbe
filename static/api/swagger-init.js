/* Swagger UI for /api/v1/docs/: started from this file (no inline script, see the template). */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-schema-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
    // A signed-in county recruiter may try writes in the browser: send the CSRF token.
    requestInterceptor: function (request) {
      var token = root.getAttribute("data-csrf-token");
      if (token && new URL(request.url, window.location.href).origin === window.location.origin) {
        request.headers[root.getAttribute("data-csrf-header")] = token;
      }
      return request;
    }
  });
})();
