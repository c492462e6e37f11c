// Renders an OpenAPI definition with the bundled Swagger UI, read-only: no
// "Try it out" (the console is for reading; the API docs at /docs send requests).
window.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("definition-viewer");
  if (!el || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    domNode: el,
    supportedSubmitMethods: [],
    tryItOutEnabled: false,
    validatorUrl: null,
    deepLinking: false,
  });
});
