#include "html_writer.h"

#include <array>
#include <stdexcept>
#include <string_view>

#include "json_writer.h"
#include "report_assets.h"

namespace pyro::report {

std::string HtmlWriter::render_data() const {
  HtmlPageOptions options = options_;
  // With "<", ">", "&" escaped the data can never close its <script> element; escaping "/"
  // too keeps URL-looking text from the profiled source out of the file altogether.
  options.escape.escape_slash = true;
  JsonOptions json;
  json.include_stacks = true;  // taken apart and bounded by HtmlPageData
  json.sources = nullptr;      // HtmlPageData embeds source text within its own budget
  json.escape = options.escape;
  const std::string document = JsonWriter(profile_, model_).render(json);
  return HtmlPageData(profile_, model_, &sources_, options).build(document);
}

std::string HtmlWriter::render() const {
  const std::string data = render_data();
  // The template is split at its placeholders once, so nothing inserted (the data in
  // particular) is ever searched for placeholders itself.
  const std::string_view page = assets::report_html();
  const std::array<std::pair<std::string_view, std::string_view>, 3> slots = {{
      {"@@PYRO_CSS@@", assets::report_css()},
      {"@@PYRO_DATA@@", data},
      {"@@PYRO_JS@@", assets::report_js()},
  }};
  std::string out;
  out.reserve(page.size() + data.size() + assets::report_css().size() + assets::report_js().size());
  size_t pos = 0;
  for (const auto& [marker, content] : slots) {
    const size_t at = page.find(marker, pos);
    if (at == std::string_view::npos) {
      throw std::logic_error("the embedded report template lacks " + std::string(marker));
    }
    out.append(page.substr(pos, at - pos));
    out.append(content);
    pos = at + marker.size();
  }
  out.append(page.substr(pos));
  return out;
}

}  // namespace pyro::report
