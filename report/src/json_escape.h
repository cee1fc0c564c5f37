// The JSON string encoder shared by the JSON export and the data embedded in the HTML page.
#ifndef PYROMETER_REPORT_JSON_ESCAPE_H
#define PYROMETER_REPORT_JSON_ESCAPE_H

#include <string>
#include <string_view>

namespace pyro::report {

struct JsonEscapeOptions {
  // Also write "/" as "\/". The HTML page uses it so that no "http://"-like text can
  // appear in the file, whatever the profiled source contains.
  bool escape_slash = false;
};

// Appends text as a quoted JSON string. Invalid UTF-8 becomes U+FFFD (one per bad byte);
// control characters, DEL, quote and backslash are escaped; so are "<", ">", "&" and
// U+2028/U+2029, which makes the output safe inside an HTML <script> element: it can
// never contain "</script" or "<!--".
void append_json_string(std::string& out, std::string_view text, JsonEscapeOptions options = {});

// Appends a finite double the way JSON wants it: shortest round-trip form, always with a
// decimal point or exponent so readers see a float ("1.0", not "1"). NaN and infinities,
// which JSON cannot carry, become 0.0.
void append_json_double(std::string& out, double value);

}  // namespace pyro::report

#endif  // PYROMETER_REPORT_JSON_ESCAPE_H
