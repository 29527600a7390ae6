package samtemplate_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcmedic/vpcmedic/internal/emulator"
	"github.com/vpcmedic/vpcmedic/internal/samtemplate"
)

func TestTransformRunsVPCMEDIC_PYTHON(t *testing.T) {
	dir := t.TempDir()
	args := filepath.Join(dir, "args")
	// Stands in for the translator: records its arguments, answers an empty template.
	python := filepath.Join(dir, "python")
	script := "#!/bin/sh\necho \"$*\" > " + args + "\ncat >/dev/null\necho '{\"Description\": \"from the fake\", \"Resources\": {}}'\n"
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(emulator.PythonEnv, python)

	tmpl, err := samtemplate.Transform(t.Context(), "template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(args); tmpl.Description != "from the fake" || strings.TrimSpace(string(got)) != "- template.yaml" {
		t.Errorf("Transform ran %s with %q and got %q, want it run with the script on stdin", python, got, tmpl.Description)
	}

	t.Setenv(emulator.PythonEnv, filepath.Join(dir, "missing"))
	if _, err := samtemplate.Transform(t.Context(), "template.yaml"); !errors.Is(err, samtemplate.ErrToolsMissing) || !strings.Contains(err.Error(), emulator.InstallHint) {
		t.Errorf("with a missing %s: %v, want ErrToolsMissing with the install hint", emulator.PythonEnv, err)
	}
}
