#include "child_profiles.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>

#include <fmt/format.h>

#include "module_map.h"
#include "profile_reader.h"

namespace pyro::report {

namespace {

using format::FrameKind;

constexpr size_t kMaxTimelineBuckets = 4096;
constexpr uint64_t kDefaultBucketNs = 100'000'000;
constexpr uint64_t kPage = 4096;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A relative co_filename names a file relative to the process's cwd at start.
std::string absolute_in(const std::string& path, const std::string& cwd) {
  if (path.empty() || path[0] == '/' || path[0] == '<' || cwd.empty()) return path;
  return cwd + "/" + path;
}

// How the addresses of one child module map into the merged profile.
struct Relocation {
  uint64_t start = 0;
  uint64_t end = 0;
  int64_t delta = 0;
};

bool same_layout(const ModuleInfo& target, const ModuleInfo& m, uint64_t delta) {
  if (target.ranges.size() != m.ranges.size()) return false;
  for (size_t i = 0; i < m.ranges.size(); ++i) {
    if (m.ranges[i].start + delta != target.ranges[i].start || m.ranges[i].end + delta != target.ranges[i].end)
      return false;
  }
  return true;
}

bool collides(const std::vector<ModuleInfo>& modules, const ModuleInfo& m) {
  for (const ModuleInfo& other : modules)
    for (const AddressRange& a : other.ranges)
      for (const AddressRange& b : m.ranges)
        if (a.start < b.end && b.start < a.end) return true;
  return false;
}

// Maps each child module onto the merged profile's modules (adding the ones it lacks) and
// returns the address translation, sorted by start.
std::vector<Relocation> merge_modules(std::vector<ModuleInfo>& into, const std::vector<ModuleInfo>& child) {
  std::vector<Relocation> relocations;
  for (const ModuleInfo& m : child) {
    if (m.ranges.empty()) continue;
    bool mapped = false;
    for (const ModuleInfo& target : into) {
      if (target.path != m.path || target.build_id != m.build_id) continue;
      const uint64_t delta = target.load_bias - m.load_bias;  // modular: may "wrap" downwards
      if (!same_layout(target, m, delta)) continue;
      for (const AddressRange& r : m.ranges)
        relocations.push_back({r.start, r.end, static_cast<int64_t>(delta)});
      mapped = true;
      break;
    }
    if (mapped) continue;
    uint64_t delta = 0;
    if (collides(into, m)) {
      uint64_t top = 0;
      for (const ModuleInfo& other : into)
        for (const AddressRange& r : other.ranges) top = std::max(top, r.end);
      const uint64_t base = (top + 2 * kPage - 1) / kPage * kPage;  // a page of gap
      delta = base - m.ranges.front().start;
      for (const AddressRange& r : m.ranges) delta = std::min(delta, base - r.start);
    }
    ModuleInfo moved = m;
    moved.load_bias += delta;
    for (AddressRange& r : moved.ranges) {
      relocations.push_back({r.start, r.end, static_cast<int64_t>(delta)});
      r.start += delta;
      r.end += delta;
    }
    into.push_back(std::move(moved));
  }
  std::sort(relocations.begin(), relocations.end(),
            [](const Relocation& a, const Relocation& b) { return a.start < b.start; });
  return relocations;
}

uint64_t translate(const std::vector<Relocation>& relocations, uint64_t address, bool return_address) {
  // A return address may sit just past its module's end: look up the call site.
  const uint64_t probe = return_address && address > 0 ? address - 1 : address;
  auto it = std::upper_bound(relocations.begin(), relocations.end(), probe,
                             [](uint64_t a, const Relocation& r) { return a < r.start; });
  if (it == relocations.begin()) return address;
  --it;
  if (probe >= it->end) return address;  // not in any module the child knew: unchanged
  return address + static_cast<uint64_t>(it->delta);
}

uint64_t bucket_width(const std::vector<TimelinePoint>& points) {
  return points.size() >= 2 && points[1].t_ns > points[0].t_ns ? points[1].t_ns - points[0].t_ns : 0;
}

// Both timelines on one grid from the root's start: the child's points shifted by its
// start time, the wider bucket of the two, doubled until the run fits the bound.
void merge_timeline(std::vector<TimelinePoint>& into, const std::vector<TimelinePoint>& child, uint64_t offset_ns) {
  if (child.empty()) return;
  uint64_t width = std::max(bucket_width(into), bucket_width(child));
  if (width == 0) width = kDefaultBucketNs;
  std::vector<TimelinePoint> all = into;
  for (const TimelinePoint& p : child) all.push_back({p.t_ns + offset_ns, p.cpu_ns});
  uint64_t last = 0;
  for (const TimelinePoint& p : all) last = std::max(last, p.t_ns);
  while (last / width + 1 > kMaxTimelineBuckets) width *= 2;
  std::vector<uint64_t> buckets(last / width + 1, 0);
  for (const TimelinePoint& p : all) buckets[p.t_ns / width] += p.cpu_ns;
  into.clear();
  for (size_t i = 0; i < buckets.size(); ++i) into.push_back({i * width, buckets[i]});
}

void merge_exclude_prefixes(Profile& into, const Profile& child) {
  std::vector<std::string> prefixes = split_meta_list(into.meta_value("exclude_prefixes"));
  bool changed = false;
  for (const std::string& p : split_meta_list(child.meta_value("exclude_prefixes"))) {
    if (std::find(prefixes.begin(), prefixes.end(), p) != prefixes.end()) continue;
    prefixes.push_back(p);
    changed = true;
  }
  if (!changed) return;
  std::string joined;
  for (const std::string& p : prefixes) {
    if (!joined.empty()) joined += '\x1f';
    joined += p;
  }
  into.meta["exclude_prefixes"] = joined;
}

}  // namespace

std::string children_directory(const std::string& path) { return path + format::kChildrenDirSuffix; }

std::vector<std::string> child_profile_paths(const std::string& path) {
  std::vector<std::string> paths;
  const std::string dir = children_directory(path);
  std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(dir.c_str()), ::closedir);
  if (!handle) return paths;
  while (const dirent* entry = ::readdir(handle.get())) {
    const std::string name = entry->d_name;
    if (!ends_with(name, ".pyro") || name[0] == '.') continue;  // temp files end in .tmp.<pid>
    const std::string full = dir + "/" + name;
    struct stat st {};
    if (::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode)) paths.push_back(full);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

void merge_child_profile(Profile& into, const Profile& child) {
  // Functions, by content.
  std::map<std::tuple<std::string, std::string, int32_t>, uint32_t> by_content;
  uint32_t next_id = 0;
  for (const auto& [id, f] : into.functions) {
    by_content.emplace(std::make_tuple(f.path, f.name, f.first_line), id);
    next_id = std::max(next_id, id + 1);
  }
  const std::string root_cwd = into.meta_value("cwd");
  const std::string child_cwd = child.meta_value("cwd");
  std::map<uint32_t, uint32_t> function_ids;  // child id -> merged id
  for (const auto& [id, f] : child.functions) {
    FunctionInfo merged = f;
    if (child_cwd != root_cwd) merged.path = absolute_in(f.path, child_cwd);
    auto key = std::make_tuple(merged.path, merged.name, merged.first_line);
    auto it = by_content.find(key);
    if (it == by_content.end()) {
      merged.id = next_id++;
      it = by_content.emplace(std::move(key), merged.id).first;
      into.functions.emplace(merged.id, std::move(merged));
    }
    function_ids[id] = it->second;
  }

  const std::vector<Relocation> relocations = merge_modules(into.modules, child.modules);
  for (const StackRecord& stack : child.stacks) {
    StackRecord merged = stack;
    for (Frame& frame : merged.frames) {
      if (frame.kind == FrameKind::kPython) {
        frame.function_id = function_ids.at(frame.function_id);  // the reader checked they exist
      } else if (frame.is_native()) {
        frame.address = translate(relocations, frame.address, frame.kind == FrameKind::kNative);
      }
    }
    into.stacks.push_back(std::move(merged));
  }
  into.threads.insert(into.threads.end(), child.threads.begin(), child.threads.end());

  const uint64_t root_start = into.run().start_unix_ns;
  const uint64_t child_start = child.runs.empty() ? root_start : child.run().start_unix_ns;
  merge_timeline(into.timeline, child.timeline, child_start > root_start ? child_start - root_start : 0);
  for (RunInfo run : child.runs) {
    if (run.argv.empty()) run.argv = child.meta_value("argv");
    into.runs.push_back(std::move(run));
  }

  std::vector<uint64_t>& histogram = into.capture_histogram;
  if (histogram.size() < child.capture_histogram.size()) histogram.resize(child.capture_histogram.size(), 0);
  for (size_t i = 0; i < child.capture_histogram.size(); ++i) {
    const uint64_t add = child.capture_histogram[i];
    histogram[i] = add > UINT64_MAX - histogram[i] ? UINT64_MAX : histogram[i] + add;
  }
  merge_exclude_prefixes(into, child);
}

Profile read_profile_with_children(const std::string& path, std::vector<std::string>* warnings) {
  Profile profile = ProfileReader::read_file(path);
  for (RunInfo& run : profile.runs) {
    if (run.argv.empty()) run.argv = profile.meta_value("argv");
  }
  for (const std::string& child_path : child_profile_paths(path)) {
    try {
      merge_child_profile(profile, ProfileReader::read_file(child_path));
    } catch (const ProfileError& e) {
      if (warnings) warnings->push_back(fmt::format("skipping a child process's profile: {}", e.what()));
    }
  }
  return profile;
}

}  // namespace pyro::report
