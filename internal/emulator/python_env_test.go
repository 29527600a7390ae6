package emulator

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The tests below run internal/emulator/python-env in a copy of its directory, with a PATH
// holding only the tools the script uses and a fake python3, so that they need no Python and
// no network.

// scriptTools are the commands python-env runs besides python3 (and cfn-lint).
var scriptTools = []string{"sh", "awk", "cmp", "cp", "dirname", "mkdir", "rm", "sed", "tail"}

// fakePython3 records each call in $FAKE_LOG. Asked to check the pinned tools it answers as
// $FAKE_SYSTEM says ("ok": it has them; anything else: it lacks moto); "-m venv DIR" makes DIR
// with a copy of itself as bin/python, unless $FAKE_NO_VENV is set; "-m pip" fails when
// $FAKE_PIP_FAIL is set.
const fakePython3 = `#!/bin/sh
echo "$0 $*" >> "$FAKE_LOG"
case "$1" in
-c)
	case "$2" in
	*ensurepip*) [ -z "$FAKE_NO_VENV" ]; exit;;
	esac
	if [ "$FAKE_SYSTEM" = ok ]; then echo /fake/system/python3; exit 0; fi
	echo "python3 lacks moto" >&2; exit 1;;
-m)
	case "$2" in
	venv) for dir; do :; done; mkdir -p "$dir/bin" && cp "$0" "$dir/bin/python"; exit;;
	pip)
		if [ -n "$FAKE_PIP_FAIL" ]; then
			echo "Collecting moto[server]==5.2.1"
			echo "ERROR: No matching distribution found for moto[server]==5.2.1" >&2
			exit 1
		fi
		exit 0;;
	esac;;
esac
exit 2
`

type pythonEnvSandbox struct {
	root     string // copy of the module root: internal/emulator/{python-env,requirements.txt}
	tools    string // the scriptTools
	fakes    string // fake python3 and cfn-lint
	log      string // FAKE_LOG
	script   string
	required string // requirements.txt in root
}

func newPythonEnvSandbox(t *testing.T) *pythonEnvSandbox {
	t.Helper()
	base := t.TempDir()
	s := &pythonEnvSandbox{
		root:  filepath.Join(base, "project"),
		tools: filepath.Join(base, "tools"),
		fakes: filepath.Join(base, "fakes"),
		log:   filepath.Join(base, "calls.log"),
	}
	s.script = filepath.Join(s.root, "internal", "emulator", "python-env")
	s.required = filepath.Join(s.root, "internal", "emulator", "requirements.txt")
	for _, dir := range []string{filepath.Dir(s.script), s.tools, s.fakes} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"python-env", "requirements.txt"} {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.root, "internal", "emulator", name), raw, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tool := range scriptTools {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("python-env needs %s: %v", tool, err)
		}
		if err := os.Symlink(path, filepath.Join(s.tools, tool)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{"python3": fakePython3, "cfn-lint": "#!/bin/sh\nexit 0\n"} {
		if err := os.WriteFile(filepath.Join(s.fakes, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// run runs python-env with args and the FAKE_ settings in env; withPython false leaves the
// fakes off PATH.
func (s *pythonEnvSandbox) run(t *testing.T, withPython bool, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	path := s.tools
	if withPython {
		path = s.fakes + string(os.PathListSeparator) + s.tools
	}
	cmd := exec.Command(s.script, args...)
	cmd.Dir = s.root
	cmd.Env = append([]string{"PATH=" + path, "FAKE_LOG=" + s.log, "HOME=" + s.root}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// calls returns the fake interpreters' calls logged so far and empties the log.
func (s *pythonEnvSandbox) calls(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(s.log)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	_ = os.Remove(s.log)
	return string(raw)
}

func lines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

func TestPythonEnvCreatesVenvWhenPython3LacksThePinnedTools(t *testing.T) {
	s := newPythonEnvSandbox(t)
	venv := filepath.Join(s.root, ".venv")
	show := []string{"sh", "-c", `echo "$VPCMEDIC_PYTHON"; echo "$PATH"`}

	stdout, stderr, err := s.run(t, true, nil, show...)
	if err != nil {
		t.Fatalf("python-env: %v\n%s", err, stderr)
	}
	want := "vpcmedic: creating .venv with the emulator's pinned tools (moto " + MotoVersion + ", cfn-lint "
	if got := lines(stderr); len(got) != 1 || !strings.HasPrefix(got[0], want) || !strings.HasSuffix(got[0], "): python3 lacks moto") {
		t.Errorf("stderr = %q, want one line %q...): python3 lacks moto", stderr, want)
	}
	calls := s.calls(t)
	for _, want := range []string{
		filepath.Join(s.fakes, "python3") + " -m venv --clear " + venv + "\n",
		filepath.Join(venv, "bin", "python") + " -m pip install --disable-pip-version-check --no-input -r " + s.required + "\n",
	} {
		if !strings.Contains(calls, want) {
			t.Errorf("calls lack %q:\n%s", want, calls)
		}
	}
	if got := lines(stdout); len(got) != 2 || got[0] != filepath.Join(venv, "bin", "python") || !strings.HasPrefix(got[1], filepath.Join(venv, "bin")+":"+s.fakes) {
		t.Errorf("command saw VPCMEDIC_PYTHON and PATH %q, want .venv/bin/python and .venv/bin first", got)
	}

	// Nothing to do while requirements.txt is unchanged.
	stdout, stderr, err = s.run(t, true, nil)
	if err != nil || stderr != "" || strings.TrimSpace(stdout) != filepath.Join(venv, "bin", "python") {
		t.Errorf("second run: stdout %q, stderr %q, %v; want the venv's python and nothing said", stdout, stderr, err)
	}
	if calls := s.calls(t); strings.Contains(calls, "pip") || strings.Contains(calls, "venv") {
		t.Errorf("second run created or installed again:\n%s", calls)
	}

	// A changed requirements.txt is installed again, into the same venv.
	f, err := os.OpenFile(s.required, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("boto3==1.40.0\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, stderr, err = s.run(t, true, nil)
	if err != nil || !strings.HasPrefix(stderr, "vpcmedic: installing the emulator's pinned tools (moto ") || !strings.HasSuffix(stderr, "boto3 1.40.0) into .venv\n") || len(lines(stderr)) != 1 {
		t.Errorf("after a change: stderr %q, %v; want one line saying it installs into .venv", stderr, err)
	}
	if calls := s.calls(t); !strings.Contains(calls, "-m pip install") || strings.Contains(calls, "-m venv") {
		t.Errorf("after a change, want pip again and no new venv:\n%s", calls)
	}
}

func TestPythonEnvUsesPython3WhenItHasThePinnedTools(t *testing.T) {
	s := newPythonEnvSandbox(t)
	stdout, stderr, err := s.run(t, true, []string{"FAKE_SYSTEM=ok"}, "--", "sh", "-c", `echo "$VPCMEDIC_PYTHON"; echo "$PATH"`)
	if err != nil || stderr != "" {
		t.Fatalf("python-env: %v, stderr %q", err, stderr)
	}
	if got := lines(stdout); len(got) != 2 || got[0] != "/fake/system/python3" || strings.Contains(got[1], ".venv") {
		t.Errorf("command saw VPCMEDIC_PYTHON and PATH %q, want python3's interpreter and PATH unchanged", got)
	}
	if _, err := os.Stat(filepath.Join(s.root, ".venv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf(".venv created (%v) though python3 has the tools", err)
	}

	// Without cfn-lint on PATH, make lint could not run: a venv provides it.
	if err := os.Remove(filepath.Join(s.fakes, "cfn-lint")); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = s.run(t, true, []string{"FAKE_SYSTEM=ok"})
	if err != nil || !strings.HasSuffix(stderr, "): cfn-lint is not on PATH\n") {
		t.Errorf("without cfn-lint: stderr %q, %v; want a venv made because cfn-lint is not on PATH", stderr, err)
	}
}

func TestPythonEnvErrors(t *testing.T) {
	t.Run("no python3", func(t *testing.T) {
		s := newPythonEnvSandbox(t)
		_, stderr, err := s.run(t, false, nil)
		if err == nil || len(lines(stderr)) != 1 || !strings.Contains(stderr, "python3 not found on PATH") || !strings.Contains(stderr, "python3-venv") {
			t.Errorf("stderr %q, %v; want one line naming python3 and the venv package", stderr, err)
		}
	})
	t.Run("no venv module", func(t *testing.T) {
		s := newPythonEnvSandbox(t)
		_, stderr, err := s.run(t, true, []string{"FAKE_NO_VENV=1"})
		got := lines(stderr)
		if err == nil || len(got) != 2 || !strings.Contains(got[1], "cannot create a virtual environment") || !strings.Contains(got[1], "apt install python3-venv") {
			t.Errorf("stderr %q, %v; want the creating line, then one naming python3-venv", stderr, err)
		}
		if _, err := os.Stat(filepath.Join(s.root, ".venv")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf(".venv left behind (%v)", err)
		}
	})
	t.Run("pip fails", func(t *testing.T) {
		s := newPythonEnvSandbox(t)
		_, stderr, err := s.run(t, true, []string{"FAKE_PIP_FAIL=1"}, "true")
		if err == nil {
			t.Fatal("python-env succeeded though pip failed")
		}
		for _, want := range []string{"pip could not install " + s.required, "ERROR: No matching distribution found for moto[server]==5.2.1", filepath.Join(s.root, ".venv", "pip.log")} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		s.calls(t)
		// The failed install is retried on the next run.
		if _, stderr, err := s.run(t, true, nil); err != nil || !strings.Contains(s.calls(t), "-m pip install") {
			t.Errorf("next run did not install again: %v\n%s", err, stderr)
		}
	})
}
