#include "test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace esxsim_test {

namespace {

std::string SourceDir() {
  const char* s = std::getenv("BNFC_SOURCE_DIR");
  return s ? s : ".";
}

// Third-party captures live next to the repository, never in it: BNFC_FIXTURES_DIR, else
// <source>/../shared/fixtures.
std::string EsxcliFixturesDir() {
  const char* s = std::getenv("BNFC_FIXTURES_DIR");
  return (s ? std::string(s) : SourceDir() + "/../shared/fixtures") + "/esxcli";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace

std::string BinDir() {
  const char* s = std::getenv("BNFC_BIN_DIR");
  std::string dir = s ? s : "build/bin";
  if (!dir.empty() && dir[0] != '/') {  // symlinks made by tests need an absolute target
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) != nullptr) {
      dir = std::string(cwd) + "/" + dir;
    }
  }
  return dir;
}

std::string Fixture(const std::string& name) {
  const std::string path = EsxcliFixturesDir() + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "fixture missing: " << path;
    return "";
  }
  return ReadAll(path);
}

std::vector<std::string> FixtureNames() {
  std::vector<std::string> names;
  DIR* d = ::opendir(EsxcliFixturesDir().c_str());
  if (d == nullptr) {
    ADD_FAILURE() << "fixtures missing: " << EsxcliFixturesDir();
    return names;
  }
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != ".." && n != "SOURCES.md") {
      names.push_back(n);
    }
  }
  ::closedir(d);
  return names;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/esxsim-test-XXXXXX";
  const char* p = ::mkdtemp(tmpl);
  path_ = p ? p : "";
}

TempDir::~TempDir() {
  if (!path_.empty()) {
    const std::string cmd = "rm -rf '" + path_ + "'";
    if (std::system(cmd.c_str()) != 0) {
      // best effort; the directory lives under /tmp
    }
  }
}

std::string TempDir::Write(const std::string& name, const std::string& contents) const {
  const std::string p = path_ + "/" + name;
  std::ofstream out(p, std::ios::binary);
  out << contents;
  return p;
}

ToolRun RunPath(const std::string& binary, const std::vector<std::string>& args,
                const std::string& state_path) {
  ToolRun r;
  TempDir tmp;
  const std::string out_path = tmp.path() + "/out";
  const std::string err_path = tmp.path() + "/err";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    if (state_path.empty()) {
      ::unsetenv("ESXSIM_STATE");
    } else {
      ::setenv("ESXSIM_STATE", state_path.c_str(), 1);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadAll(out_path);
  r.err = ReadAll(err_path);
  return r;
}

ToolRun RunTool(const std::string& tool, const std::vector<std::string>& args,
                const std::string& state_path) {
  return RunPath(BinDir() + "/" + tool, args, state_path);
}

std::string StripTrailingSpaces(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t end = line.find_last_not_of(' ');
    out += (end == std::string::npos ? "" : line.substr(0, end + 1)) + "\n";
  }
  return out;
}

}  // namespace esxsim_test
