/* docapi-docs.js - starts Swagger UI on docapi's own OpenAPI document.
 *
 * The page lives at <mount>/docs/, the document at <mount>/v1/openapi.json
 * (<mount> is "" or docapi's mount_prefix, e.g. /api). The document names no
 * servers (its paths are relative to wherever docapi is mounted), so this
 * page adds the one it was served from: "Try it out" then calls the same
 * docapi, under the same prefix, with no CORS involved.
 *
 * Authorize once: the bearer key and X-Namespace are the document's two
 * security schemes (bearerAuth, namespace); persistAuthorization keeps them
 * in this browser's localStorage across reloads (Logout clears them). */
(function () {
  "use strict";

  var mount = new URL("../", document.baseURI);          // http://host/[api/]
  var specUrl = new URL("v1/openapi.json", mount).href;
  var server = mount.href.replace(/\/$/, "");            // http://host[/api]

  function showError(text) {
    var box = document.getElementById("docapi-docs-error");
    box.textContent = text;
    box.hidden = false;
  }

  function start(spec) {
    if (!Array.isArray(spec.servers) || spec.servers.length === 0)
      spec.servers = [{ url: server, description: "this docapi (where /docs was served from)" }];
    window.ui = SwaggerUIBundle({
      spec: spec,
      dom_id: "#swagger-ui",
      // No deepLinking: its hash links warn in the console on every
      // operationId with an "_" (get_document), read as an escaped space.
      deepLinking: false,
      persistAuthorization: true,
      displayRequestDuration: true,
      defaultModelsExpandDepth: 0,
      // No call to an online validator, ever.
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  }

  window.addEventListener("load", function () {
    fetch(specUrl, { headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok)
          throw new Error(r.status + " " + r.statusText);
        return r.json();
      })
      .then(start)
      .catch(function (e) {
        showError("Could not load the OpenAPI document " + specUrl + ": " + e.message);
      });
  });
})();
