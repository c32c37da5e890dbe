/* ReDoc for /api/v1/redoc/: started from this file (no inline script, see the template;
 * redoc-csp.js explains how ReDoc runs under the CSP). Search is off: ReDoc runs it in a
 * worker built from a blob: URL, which the CSP does not allow. */
(function () {
  "use strict";
  var root = document.getElementById("redoc");
  Redoc.init(root.getAttribute("data-schema-url"), { disableSearch: true }, root);
})();
