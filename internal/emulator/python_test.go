package emulator

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestPinnedVersion(t *testing.T) {
	requirements := "# moto==0.0.1 in a comment does not count\n" +
		"motorcycle==9.9\n" +
		"  moto[server] == 5.2.1  # why\n" +
		"cfn-lint==1.51.0\n"
	for name, want := range map[string]string{"moto": "5.2.1", "cfn-lint": "1.51.0", "CFN-Lint": "1.51.0", "boto3": ""} {
		if got := pinnedVersion(requirements, name); got != want {
			t.Errorf("pinnedVersion(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestRequirementsPinMotoWithItsServer(t *testing.T) {
	if MotoVersion == "" || !regexp.MustCompile(`(?m)^moto\[server\]==`+regexp.QuoteMeta(MotoVersion)+`$`).MatchString(requirements) {
		t.Errorf("requirements.txt does not pin moto[server]==%q:\n%s", MotoVersion, requirements)
	}
}

func TestCheckMotoVersion(t *testing.T) {
	if err := checkMotoVersion("/usr/bin/python3", MotoVersion); err != nil {
		t.Errorf("the pinned version: %v", err)
	}
	err := checkMotoVersion("/usr/bin/python3", "5.3.0")
	if err == nil {
		t.Fatal("moto 5.3.0 accepted")
	}
	for _, want := range []string{"moto 5.3.0", "moto " + MotoVersion, "/usr/bin/python3", InstallHint} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// fakePython writes an executable shell script standing in for a Python interpreter.
func fakePython(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPythonPrefersVPCMEDIC_PYTHON(t *testing.T) {
	onPath := t.TempDir()
	fakePython(t, onPath, "python3", "exit 0\n")
	t.Setenv("PATH", onPath)

	t.Setenv(PythonEnv, "")
	if got, err := Python(); err != nil || got != filepath.Join(onPath, "python3") {
		t.Errorf("unset: Python() = %q, %v; want python3 from PATH", got, err)
	}

	chosen := fakePython(t, t.TempDir(), "python", "exit 0\n")
	t.Setenv(PythonEnv, chosen)
	if got, err := Python(); err != nil || got != chosen {
		t.Errorf("set: Python() = %q, %v; want %s", got, err, chosen)
	}

	missing := filepath.Join(t.TempDir(), "python")
	t.Setenv(PythonEnv, missing)
	_, err := Python()
	if err == nil || !strings.Contains(err.Error(), PythonEnv+"="+missing) || !strings.Contains(err.Error(), InstallHint) {
		t.Errorf("set to a missing file: error %v, want one naming %s and the install hint", err, PythonEnv)
	}
}

func TestStartRefusesAnotherMotoFromVPCMEDIC_PYTHON(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	// Answers the version probe with another release; would fail to run the launcher.
	python := fakePython(t, dir, "python", `echo "$*" >> `+calls+`
case "$1" in -c) echo 5.0.0; exit 0;; esac
exit 1
`)
	t.Setenv(PythonEnv, python)

	srv, err := Start(t.Context())
	if err == nil {
		_ = srv.Stop()
		t.Fatal("Start succeeded with moto 5.0.0")
	}
	for _, want := range []string{python, "moto 5.0.0", "moto " + MotoVersion} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if got, _ := os.ReadFile(calls); !strings.Contains(string(got), motoVersionProbe) {
		t.Errorf("%s ran with %q, want the version probe", PythonEnv, got)
	}
}

func TestStartSaysWhenVPCMEDIC_PYTHONLacksMoto(t *testing.T) {
	python := fakePython(t, t.TempDir(), "python", `echo "importlib.metadata.PackageNotFoundError: No package metadata was found for moto" >&2
exit 1
`)
	t.Setenv(PythonEnv, python)
	srv, err := Start(t.Context())
	if err == nil {
		_ = srv.Stop()
		t.Fatal("Start succeeded without moto")
	}
	if !strings.Contains(err.Error(), "moto is not installed for "+python) || !strings.Contains(err.Error(), InstallHint) {
		t.Errorf("error %q does not say moto is missing with the install hint", err)
	}
}

// The launcher prints the same hint when moto cannot be imported.
func TestLauncherHintIsInstallHint(t *testing.T) {
	block := regexp.MustCompile(`(?s)\nINSTALL_HINT = \((.*?)\n\)`).FindSubmatch(launcherSource)
	if block == nil {
		t.Fatal("launcher.py has no INSTALL_HINT = (...)")
	}
	var hint strings.Builder
	for _, literal := range regexp.MustCompile(`"([^"]*)"`).FindAllSubmatch(block[1], -1) {
		hint.Write(literal[1])
	}
	if hint.String() != InstallHint {
		t.Errorf("launcher.py INSTALL_HINT = %q, want emulator.InstallHint %q", hint.String(), InstallHint)
	}
}
