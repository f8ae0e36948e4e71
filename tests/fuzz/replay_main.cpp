// Replays a committed fuzz corpus through a libFuzzer-style harness as ordinary GoogleTest tests.
//
// Linked with one harness (a source that defines LLVMFuzzerTestOneInput) by bnfc_fuzz_replay() in
// cmake/BnfcWarnings.cmake, which sets BNFC_FUZZ_CORPUS_DIR (the committed corpus) and
// BNFC_FUZZ_SHARED_DIRS (third-party fixture folders, ':'-separated, read where they are so that no
// copy lives in the repository). Every regular file of those folders is one test (SOURCES.md, their
// provenance notes, excepted); a harness reports a broken invariant by aborting, which fails that
// test. Run with file
// arguments (`config_fuzzer crash-1234`) to replay just those files, as a libFuzzer binary would.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#ifndef BNFC_FUZZ_CORPUS_DIR
#error "BNFC_FUZZ_CORPUS_DIR must name the corpus folder (see bnfc_fuzz_replay)"
#endif
#ifndef BNFC_FUZZ_SHARED_DIRS
#define BNFC_FUZZ_SHARED_DIRS ""
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

struct CorpusFile {
  std::string path;
  std::string test_name;  // letters, digits and '_' only, unique
};

// Shown by GoogleTest (and so in the CTest test list) instead of the object's bytes.
void PrintTo(const CorpusFile& file, std::ostream* os) {
  *os << file.path.substr(file.path.rfind('/') + 1);
}

std::vector<std::string> SharedDirs() {
  std::vector<std::string> dirs;
  std::string all = BNFC_FUZZ_SHARED_DIRS;
  for (size_t start = 0, end; start < all.size(); start = end + 1) {
    end = all.find(':', start);
    if (end == std::string::npos) {
      end = all.size();
    }
    if (end > start) {
      dirs.push_back(all.substr(start, end - start));
    }
  }
  return dirs;
}

// Sorted (folder, file name) pairs of the regular files in `dirs`.
std::vector<std::pair<std::string, std::string>> ListFiles(const std::vector<std::string>& dirs) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const std::string& d : dirs) {
    if (DIR* dir = opendir(d.c_str())) {
      while (dirent* e = readdir(dir)) {
        std::string path = d + "/" + e->d_name;
        struct stat st {};
        if (e->d_name[0] != '.' && std::string(e->d_name) != "SOURCES.md" &&
            stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
          files.emplace_back(d, e->d_name);
        }
      }
      closedir(dir);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<CorpusFile> ListCorpus(const std::vector<std::string>& dirs) {
  std::vector<CorpusFile> out;
  std::set<std::string> used;
  for (const auto& [dir, name] : ListFiles(dirs)) {
    std::string id;
    for (char c : name) {
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      id += alnum ? c : '_';
    }
    std::string unique = id;
    for (int n = 2; !used.insert(unique).second; ++n) {
      unique = id + "_" + std::to_string(n);
    }
    out.push_back({dir + "/" + name, unique});
  }
  return out;
}

bool ReadAll(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

int RunOne(const std::string& path) {
  std::string bytes;
  if (!ReadAll(path, &bytes)) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

class FuzzReplay : public ::testing::TestWithParam<CorpusFile> {};

TEST_P(FuzzReplay, Input) {
  std::string bytes;
  ASSERT_TRUE(ReadAll(GetParam().path, &bytes)) << "cannot read " << GetParam().path;
  // A crash or abort in the harness ends the process: CTest reports this file's test as failed.
  EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
            0);
}

std::string CorpusTestName(const ::testing::TestParamInfo<CorpusFile>& param) {
  return param.param.test_name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, FuzzReplay,
                         ::testing::ValuesIn(ListCorpus({BNFC_FUZZ_CORPUS_DIR})), CorpusTestName);
INSTANTIATE_TEST_SUITE_P(Shared, FuzzReplay, ::testing::ValuesIn(ListCorpus(SharedDirs())),
                         CorpusTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FuzzReplay);

TEST(FuzzCorpus, IsNotEmpty) {
  EXPECT_FALSE(ListCorpus({BNFC_FUZZ_CORPUS_DIR}).empty())
      << "no corpus files in " << BNFC_FUZZ_CORPUS_DIR;
}

// A missing or empty shared fixture folder fails here rather than silently replaying less.
TEST(FuzzCorpus, SharedFixturesArePresent) {
  for (const std::string& dir : SharedDirs()) {
    EXPECT_FALSE(ListCorpus({dir}).empty()) << "no fixture files in " << dir;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) {
    LLVMFuzzerInitialize(&argc, &argv);
  }
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') {
      files.push_back(argv[i]);
    }
  }
  if (!files.empty()) {
    int rc = 0;
    for (const std::string& f : files) {
      std::fprintf(stderr, "replaying %s\n", f.c_str());
      rc |= RunOne(f);
    }
    return rc;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
