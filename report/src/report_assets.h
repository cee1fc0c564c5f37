// The HTML page's template, style sheet and script, embedded at build time from
// report/assets/ by report/cmake/embed_assets.cmake.
#ifndef PYROMETER_REPORT_REPORT_ASSETS_H
#define PYROMETER_REPORT_REPORT_ASSETS_H

#include <string_view>

namespace pyro::report::assets {

std::string_view report_html();  // the page, with @@PYRO_CSS@@, @@PYRO_JS@@, @@PYRO_DATA@@
std::string_view report_css();
std::string_view report_js();

}  // namespace pyro::report::assets

#endif  // PYROMETER_REPORT_REPORT_ASSETS_H
