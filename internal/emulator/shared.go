package emulator

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// shared is the one emulator of a test binary, started on first use.
var shared struct {
	once   sync.Once
	server *Server
	err    error

	mu     sync.Mutex // serialises resets and seeding
	seeded string     // name of the fixture the current state holds, "" after a reset
}

// Run runs the tests of a package and then stops the shared emulator, if any
// test started it. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }
//
// Without it the emulator still exits with the test binary (its stdin closes).
func Run(m *testing.M) int {
	code := m.Run()
	if shared.server != nil {
		_ = shared.server.Stop()
	}
	return code
}

// Shared returns the test binary's emulator, reset to an empty account. It
// skips the test under -short and fails it, with the install hint, when the
// emulator cannot start.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	s := sharedServer(tb)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.seeded = ""
	if err := s.Reset(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// Seeded returns the test binary's emulator holding the fixture called name.
// The first call (or the first after another test reset or seeded the
// emulator) resets it and runs seed; later calls reuse the state, so a large
// fixture is built once per package. Tests must treat that state as read-only.
func Seeded(tb testing.TB, name string, seed func(tb testing.TB, s *Server)) *Server {
	tb.Helper()
	s := sharedServer(tb)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.seeded == name {
		return s
	}
	shared.seeded = ""
	if err := s.Reset(context.Background()); err != nil {
		tb.Fatal(err)
	}
	seed(tb, s)          // a failing seed stops the test here (FailNow),
	shared.seeded = name // so only a complete fixture is recorded
	return s
}

func sharedServer(tb testing.TB) *Server {
	tb.Helper()
	if testing.Short() {
		tb.Skip("skipping: needs the local AWS emulator (moto), not run with -short")
	}
	shared.once.Do(func() {
		shared.server, shared.err = Start(context.Background())
	})
	if shared.err != nil {
		tb.Fatalf("start the local AWS emulator: %v", shared.err)
	}
	return shared.server
}

// MustConfig is Config for tests: it fails the test on error.
func (s *Server) MustConfig(tb testing.TB) aws.Config {
	tb.Helper()
	cfg, err := s.Config(context.Background())
	if err != nil {
		tb.Fatalf("emulator config: %v", err)
	}
	return cfg
}

// UseEnv points the standard AWS variables at the emulator for the rest of
// the test, away from the host's shared configuration and credentials,
// and clears vpcmedic's own settings, so that code reading the environment
// (runner.Build, the function binaries) talks to the emulator only.
func (s *Server) UseEnv(t testing.TB) {
	t.Helper()
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "MODE", "ALERT_TOPIC_ARN", "DEAD_LETTER_QUEUE_URL", "DRY_RUN", "ALLOWED_VPCS", "MAX_CHANGES", "ALLOW_NAT_CREATION"} {
		t.Setenv(k, "")
	}
}

// Sample reads a sample event from the module's events/ directory (name is
// relative to it) and replaces old/new pairs of identifiers with those of
// seeded resources. Every old value must occur, so that a sample that
// changes does not silently stop pointing at the fixture.
func Sample(tb testing.TB, name string, replace ...string) []byte {
	tb.Helper()
	dir, err := ModuleRoot()
	if err != nil {
		tb.Fatalf("find the module root for events/%s: %v", name, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "events", name))
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(replace); i += 2 {
		if !bytes.Contains(raw, []byte(replace[i])) {
			tb.Fatalf("sample %s no longer contains %q", name, replace[i])
		}
		raw = bytes.ReplaceAll(raw, []byte(replace[i]), []byte(replace[i+1]))
	}
	return raw
}
