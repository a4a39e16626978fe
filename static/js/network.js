// The network view of a cluster (templates/cases/links/network.html, docs/linking.md): the
// graph comes from the page's <script type="application/json" id="network-data">, drawn with
// the vendored Cytoscape.js. No inline code or styles, for the Content-Security-Policy.
(function () {
  "use strict";

  function draw() {
    var container = document.getElementById("network");
    var data = document.getElementById("network-data");
    if (!container || !data || typeof window.cytoscape !== "function") {
      return;
    }
    var graph = JSON.parse(data.textContent);
    var elements = [];
    graph.nodes.forEach(function (node) {
      elements.push({ group: "nodes", data: node });
    });
    graph.edges.forEach(function (edge) {
      elements.push({ group: "edges", data: edge });
    });
    var cy = window.cytoscape({
      container: container,
      elements: elements,
      layout: { name: "cose", animate: false, padding: 24 },
      style: [
        {
          selector: "node",
          style: {
            label: "data(label)",
            "font-size": 10,
            "text-wrap": "wrap",
            "text-max-width": 120,
            "background-color": "#888888",
          },
        },
        { selector: 'node[type = "case"]', style: { shape: "round-rectangle", "background-color": "#1f4e79", width: 36, height: 24 } },
        { selector: 'node[type = "party"]', style: { "background-color": "data(colour)" } },
        { selector: 'node[type = "identifier"]', style: { shape: "diamond", "background-color": "#4d4d4d" } },
        { selector: 'node[type = "venue"]', style: { shape: "rectangle", "background-color": "#a6761d" } },
        { selector: "edge", style: { width: 1, "line-color": "#bbbbbb" } },
      ],
    });
    container.dataset.ready = String(cy.nodes().length);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
