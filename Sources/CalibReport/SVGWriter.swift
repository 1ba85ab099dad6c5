/// A small SVG builder: shapes and text with CSS classes, every text escaped.
/// Colours live in the page's stylesheet, so charts follow light and dark schemes.
struct SVGWriter {
    let width: Double
    let height: Double
    private(set) var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    static func n(_ x: Double) -> String { NumberText.fixed(x, 1) }

    private static func attributes(_ extra: [(String, String)]) -> String {
        extra.map { " \($0.0)=\"\(TextEscaping.html($0.1))\"" }.joined()
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, class cls: String, tooltip: String? = nil, attributes extra: [(String, String)] = []) {
        let open = "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(Swift.max(0, width)))\" height=\"\(Self.n(Swift.max(0, height)))\" class=\"\(cls)\"\(Self.attributes(extra))"
        elements.append(tooltip.map { open + "><title>\(TextEscaping.html($0))</title></rect>" } ?? open + "/>")
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, class cls: String) {
        elements.append("<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" class=\"\(cls)\"/>")
    }

    mutating func circle(cx: Double, cy: Double, r: Double, class cls: String, tooltip: String? = nil, attributes extra: [(String, String)] = []) {
        let open = "<circle cx=\"\(Self.n(cx))\" cy=\"\(Self.n(cy))\" r=\"\(Self.n(r))\" class=\"\(cls)\"\(Self.attributes(extra))"
        elements.append(tooltip.map { open + "><title>\(TextEscaping.html($0))</title></circle>" } ?? open + "/>")
    }

    mutating func polyline(_ points: [(Double, Double)], class cls: String) {
        let list = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
        elements.append("<polyline points=\"\(list)\" class=\"\(cls)\"/>")
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ s: String, x: Double, y: Double, class cls: String = "label", anchor: Anchor = .start, rotate: Double? = nil) {
        let transform = rotate.map { " transform=\"rotate(\(Self.n($0)) \(Self.n(x)) \(Self.n(y)))\"" } ?? ""
        elements.append("<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" class=\"\(cls)\" text-anchor=\"\(anchor.rawValue)\"\(transform)>\(TextEscaping.html(s))</text>")
    }

    /// A legend row of colour swatches and labels, left to right from `(x, y)`.
    mutating func legend(_ items: [(class: String, label: String)], x: Double, y: Double) {
        var cx = x
        for item in items {
            rect(x: cx, y: y - 9, width: 12, height: 12, class: item.class)
            text(item.label, x: cx + 16, y: y + 1, class: "legend")
            cx += 16 + Double(item.label.count) * 6.2 + 18
        }
    }

    /// The finished `<svg>`, with a title and description for screen readers.
    func render(id: String, title: String, description: String) -> String {
        """
        <svg viewBox="0 0 \(Self.n(width)) \(Self.n(height))" width="\(Self.n(width))" height="\(Self.n(height))" role="img" aria-labelledby="\(id)-title \(id)-desc" class="chart" id="\(id)">
        <title id="\(id)-title">\(TextEscaping.html(title))</title>
        <desc id="\(id)-desc">\(TextEscaping.html(description))</desc>
        \(elements.joined(separator: "\n"))
        </svg>
        """
    }
}

/// A rectangular plot area with linear scales.
struct PlotArea {
    let left: Double, top: Double, width: Double, height: Double
    var xMin = 0.0, xMax = 1.0, yMin = 0.0, yMax = 1.0

    func x(_ v: Double) -> Double { left + (v - xMin) / (xMax - xMin) * width }
    func y(_ v: Double) -> Double { top + height - (v - yMin) / (yMax - yMin) * height }
    var bottom: Double { top + height }
    var right: Double { left + width }

    /// Axes, grid lines and tick labels.
    func drawAxes(_ svg: inout SVGWriter, xTicks: [Double], yTicks: [Double], xFormat: (Double) -> String, yFormat: (Double) -> String, xLabel: String, yLabel: String, xLabelOffset: Double = 34) {
        for t in yTicks {
            svg.line(x1: left, y1: y(t), x2: right, y2: y(t), class: "grid")
            svg.text(yFormat(t), x: left - 6, y: y(t) + 4, class: "tick", anchor: .end)
        }
        for t in xTicks {
            svg.line(x1: x(t), y1: bottom, x2: x(t), y2: bottom + 4, class: "axis")
            svg.text(xFormat(t), x: x(t), y: bottom + 16, class: "tick", anchor: .middle)
        }
        svg.line(x1: left, y1: bottom, x2: right, y2: bottom, class: "axis")
        svg.line(x1: left, y1: top, x2: left, y2: bottom, class: "axis")
        svg.text(xLabel, x: left + width / 2, y: bottom + xLabelOffset, class: "axis-title", anchor: .middle)
        svg.text(yLabel, x: left - 42, y: top + height / 2, class: "axis-title", anchor: .middle, rotate: -90)
    }
}
