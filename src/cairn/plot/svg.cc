#include "cairn/plot/svg.h"

#include <cmath>

#include <fmt/format.h>

namespace cairn::plot {

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters are not allowed in XML 1.0 text.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Px(double v) {
  if (!std::isfinite(v)) return "0";
  double r = std::round(v * 10.0) / 10.0;
  if (r == 0.0) return "0";  // no "-0"
  if (r == std::floor(r)) return fmt::format("{:.0f}", r);
  return fmt::format("{:.1f}", r);
}

SvgWriter::SvgWriter(int width, int height) : width_(width), height_(height) {}

void SvgWriter::Attrs(const Style& style) {
  if (!style.stroke.empty()) {
    body_ += fmt::format(" stroke=\"{}\"", style.stroke);
    if (style.stroke != "none" && style.stroke_width != 1.0) {
      body_ += fmt::format(" stroke-width=\"{:g}\"", style.stroke_width);
    }
  }
  body_ += fmt::format(" fill=\"{}\"", style.fill.empty() ? "none" : style.fill);
  if (style.opacity < 1.0) body_ += fmt::format(" opacity=\"{:.3g}\"", style.opacity);
  if (!style.dash.empty()) body_ += fmt::format(" stroke-dasharray=\"{}\"", style.dash);
}

void SvgWriter::Rect(double x, double y, double w, double h, const Style& style) {
  body_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"", Px(x), Px(y), Px(w), Px(h));
  Attrs(style);
  body_ += "/>\n";
}

void SvgWriter::Line(double x1, double y1, double x2, double y2, const Style& style) {
  body_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"", Px(x1), Px(y1), Px(x2), Px(y2));
  Attrs(style);
  body_ += "/>\n";
}

void SvgWriter::Circle(double cx, double cy, double r, const Style& style) {
  body_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\"", Px(cx), Px(cy), Px(r));
  Attrs(style);
  body_ += "/>\n";
}

void SvgWriter::Polyline(const std::vector<std::pair<double, double>>& points, const Style& style) {
  if (points.size() < 2) return;
  body_ += "<polyline points=\"";
  for (size_t i = 0; i < points.size(); ++i) {
    if (i > 0) body_ += ' ';
    body_ += Px(points[i].first) + "," + Px(points[i].second);
  }
  body_ += "\"";
  Attrs(style);
  body_ += " stroke-linejoin=\"round\"/>\n";
}

void SvgWriter::Path(const std::vector<std::vector<std::pair<double, double>>>& runs, const Style& style) {
  std::string d;
  for (const auto& run : runs) {
    if (run.size() < 2) continue;
    for (size_t i = 0; i < run.size(); ++i) {
      d += (i == 0 ? (d.empty() ? "M" : " M") : " L") + Px(run[i].first) + " " + Px(run[i].second);
    }
  }
  if (d.empty()) return;
  body_ += "<path d=\"" + d + "\"";
  Attrs(style);
  body_ += " stroke-linejoin=\"round\"/>\n";
}

void SvgWriter::Text(double x, double y, std::string_view text, double size, const std::string& anchor,
                     const std::string& fill, bool bold, double rotate) {
  body_ += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"{:g}\" fill=\"{}\"", Px(x), Px(y), size, fill);
  if (anchor != "start") body_ += fmt::format(" text-anchor=\"{}\"", anchor);
  if (bold) body_ += " font-weight=\"bold\"";
  if (rotate != 0.0) body_ += fmt::format(" transform=\"rotate({:g} {} {})\"", rotate, Px(x), Px(y));
  body_ += ">" + XmlEscape(text) + "</text>\n";
}

void SvgWriter::Title(std::string_view text) { body_ += "<title>" + XmlEscape(text) + "</title>\n"; }

void SvgWriter::BeginGroup(const std::string& clip_id, const std::string& css_class) {
  body_ += "<g";
  if (!clip_id.empty()) body_ += fmt::format(" clip-path=\"url(#{})\"", clip_id);
  if (!css_class.empty()) body_ += fmt::format(" class=\"{}\"", XmlEscape(css_class));
  body_ += ">\n";
  ++open_groups_;
}

void SvgWriter::EndGroup() {
  if (open_groups_ == 0) return;
  body_ += "</g>\n";
  --open_groups_;
}

void SvgWriter::DefineClip(const std::string& id, double x, double y, double w, double h) {
  body_ += fmt::format("<defs><clipPath id=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath></defs>\n",
                       id, Px(x), Px(y), Px(w), Px(h));
}

std::string SvgWriter::Finish() const {
  std::string doc = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
      width_, height_);
  doc += body_;
  for (int i = 0; i < open_groups_; ++i) doc += "</g>\n";
  doc += "</svg>\n";
  return doc;
}

}  // namespace cairn::plot
