// Package emulator runs a local AWS emulator for vpcmedic's tests and `make demo`.
// It is test and demo tooling only: the Lambda functions never import it.
//
// The emulator is moto, at the version requirements.txt pins, started
// in-process by an embedded Python launcher, launcher.py, which first patches
// the moto backends vpcmedic relies on where moto differs from AWS:
//
//   - Lambda event source mappings on Amazon MSK (cluster or managed VPC
//     connection ARN) and self-managed Kafka, keeping every Kafka field, and
//     switching between provisioned and on-demand mode (an empty
//     ProvisionedPollerConfig switches back to on-demand);
//   - MSK clusters ACTIVE at once, CreateClusterV2 keeping client
//     authentication, GetBootstrapBrokers answering broker strings on the ports
//     of the cluster's authentication modes, unknown clusters answering
//     NotFoundException (404);
//   - the real VpcId in a function's VpcConfig;
//   - EventBridge TestEventPattern evaluated by moto's rule matcher;
//   - a basic IAM SimulatePrincipalPolicy (see launcher.py for its rules);
//   - DescribeVpcEndpoints' vpc-endpoint-id filter;
//   - regional NAT gateways (AvailabilityMode regional, in a VPC, with an
//     address in every zone the VPC has subnets in, or in the zones given by
//     AvailabilityZoneAddresses);
//   - VPC Block Public Access options and exclusions, and
//     Vpc.BlockPublicAccessStates;
//   - VPC encryption controls, and Vpc.EncryptionControl;
//   - interface endpoints' DnsOptions (PrivateDnsOnlyForInboundResolverEndpoint);
//   - a test-only endpoint behind SetESMState that makes an ESM report a
//     problem such as "PROBLEM: Connection error";
//   - ListFunctions without the functions' State and LastUpdateStatus, as
//     AWS answers it, and a test-only endpoint behind SetFunctionState that
//     makes a function report a state such as Failed (SubnetOutOfIPAddresses).
//
// AWS managed policies are loaded (in the aws partition only); moto's default
// AMIs are not (set MOTO_EC2_LOAD_DEFAULT_AMIS=true to get them), which keeps a
// reset around 0.1 s.
//
// It binds 127.0.0.1 on a free port and exits by itself when its stdin closes,
// so it dies with the process that started it, even one killed by SIGKILL.
//
// In tests, one emulator serves the whole test binary:
//
//	func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		srv := emulator.Shared(t) // reset to an empty account
//		cfg := srv.MustConfig(t)
//		...
//	}
//
// The interpreter is Python(): $VPCMEDIC_PYTHON, which `make` and the
// python-env script set (to python3 or to the project's .venv, whichever has
// the pinned tools), else python3 from PATH. Start refuses a moto other than
// the pinned one: the patches reach into moto's internals.
//
// Shared skips the test under `go test -short` and otherwise fails it, with the
// install hint, when Python or moto is missing. Packages that seed a large
// fixture once use Seeded instead of Shared. Tests using either must not call
// t.Parallel: they share one emulator whose state Shared resets.
//
// Outside tests (the demo), call Start and Stop directly and hand Env to
// subprocesses such as the AWS CLI or a function binary.
package emulator

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const (
	// Account is the account ID moto always uses.
	Account = "123456789012"
	// Region is the region Config and Env point clients at.
	Region = "us-east-1"

	// InstallHint tells users how to get the emulator's Python tools at their pinned versions.
	InstallHint = "get the pinned Python tools with `make test` or `make demo`, or run go through " +
		"internal/emulator/python-env (e.g. internal/emulator/python-env go test ./...), which installs " +
		"internal/emulator/requirements.txt into .venv when python3 lacks them"

	// PythonEnv names the environment variable holding the Python interpreter that has the
	// pinned tools; internal/emulator/python-env sets it.
	PythonEnv = "VPCMEDIC_PYTHON"

	startTimeout   = 60 * time.Second
	stderrCapacity = 64 << 10
)

//go:embed launcher.py
var launcherSource []byte

//go:embed requirements.txt
var requirements string

// MotoVersion is the moto release launcher.py's patches are written against, as
// requirements.txt pins it.
var MotoVersion = pinnedVersion(requirements, "moto")

// pinnedVersion returns the version that a name==version (or name[extras]==version) line of
// a requirements file pins for the distribution name, "" if none does.
func pinnedVersion(requirements, name string) string {
	for _, line := range strings.Split(requirements, "\n") {
		req, _, _ := strings.Cut(line, "#")
		dist, version, ok := strings.Cut(strings.TrimSpace(req), "==")
		dist, _, _ = strings.Cut(dist, "[")
		if ok && strings.EqualFold(strings.TrimSpace(dist), name) {
			return strings.TrimSpace(version)
		}
	}
	return ""
}

// Python returns the interpreter that runs moto and the SAM translator: $VPCMEDIC_PYTHON when
// set, else python3 from PATH.
func Python() (string, error) {
	if name := os.Getenv(PythonEnv); name != "" {
		path, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w: %s", PythonEnv, name, err, InstallHint)
		}
		return path, nil
	}
	path, err := exec.LookPath("python3")
	if err != nil {
		return "", fmt.Errorf("python3 not found on PATH: %s", InstallHint)
	}
	return path, nil
}

// motoVersionProbe prints the installed moto's version without importing moto (which takes
// half a second).
const motoVersionProbe = "import importlib.metadata as m; print(m.version('moto'))"

// checkMoto fails unless python has the pinned moto.
func checkMoto(ctx context.Context, python string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, "-c", motoVersionProbe)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if strings.Contains(msg, "PackageNotFoundError") {
			return fmt.Errorf("local AWS emulator: moto is not installed for %s: %s", python, InstallHint)
		}
		return fmt.Errorf("local AWS emulator: read the moto version of %s: %w\n%s", python, err, msg)
	}
	return checkMotoVersion(python, strings.TrimSpace(string(out)))
}

// checkMotoVersion fails unless installed is MotoVersion.
func checkMotoVersion(python, installed string) error {
	if installed != MotoVersion {
		return fmt.Errorf("local AWS emulator: %s has moto %s, but launcher.py's patches are written for moto %s "+
			"(internal/emulator/requirements.txt): %s", python, installed, MotoVersion, InstallHint)
	}
	return nil
}

// ModuleRoot returns the directory of the go.mod enclosing the working directory: the project
// root, where template.yaml and events/ live.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Server is a running emulator process.
type Server struct {
	// URL is the emulator's endpoint, http://127.0.0.1:PORT.
	URL string

	cmd      *exec.Cmd
	stdin    io.WriteCloser
	stderr   *tailBuffer
	exited   chan struct{} // closed once the process has exited
	waitErr  error         // the process's exit status, valid once exited is closed
	stopOnce sync.Once
	client   *http.Client
}

// Start launches the emulator and waits until it accepts requests. ctx bounds
// only the start-up; the process runs until Stop or until this process exits.
func Start(ctx context.Context) (*Server, error) {
	python, err := Python()
	if err != nil {
		return nil, fmt.Errorf("local AWS emulator: %w", err)
	}
	if err := checkMoto(ctx, python); err != nil {
		return nil, err
	}
	script, err := writeLauncher()
	if err != nil {
		return nil, err
	}

	cmd := exec.Command(python, script, "--port", "0")
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("emulator stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("emulator stdout: %w", err)
	}
	s := &Server{
		cmd:    cmd,
		stdin:  stdin,
		stderr: &tailBuffer{max: stderrCapacity},
		exited: make(chan struct{}),
		client: &http.Client{Timeout: 30 * time.Second},
	}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s %s: %w", python, script, err)
	}

	ready := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if url, ok := strings.CutPrefix(lines.Text(), "READY "); ok {
				ready <- url
				break
			}
		}
		// Keep draining so the launcher never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()

	timeout := time.NewTimer(startTimeout)
	defer timeout.Stop()
	select {
	case s.URL = <-ready:
		return s, nil
	case <-s.exited:
		return nil, s.startError(fmt.Errorf("exited before it was ready (%v)", s.waitErr))
	case <-timeout.C:
		_ = s.Stop()
		return nil, s.startError(fmt.Errorf("not ready after %s", startTimeout))
	case <-ctx.Done():
		_ = s.Stop()
		return nil, s.startError(ctx.Err())
	}
}

func (s *Server) startError(err error) error {
	msg := strings.TrimSpace(s.stderr.String())
	hint := ""
	if strings.Contains(msg, "No module named") && !strings.Contains(msg, InstallHint) {
		hint = ": " + InstallHint
	}
	return fmt.Errorf("local AWS emulator %w%s\nlauncher stderr:\n%s", err, hint, msg)
}

// writeLauncher writes the embedded launcher to a file named after its content,
// so concurrent test binaries share it and never see a half-written script.
func writeLauncher() (string, error) {
	sum := sha256.Sum256(launcherSource)
	path := filepath.Join(os.TempDir(), fmt.Sprintf("vpcmedic-emulator-%x.py", sum[:8]))
	if existing, err := os.ReadFile(path); err == nil && bytes.Equal(existing, launcherSource) {
		return path, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "vpcmedic-emulator-*.tmp")
	if err != nil {
		return "", fmt.Errorf("write emulator launcher: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(launcherSource); err != nil {
		tmp.Close()
		return "", fmt.Errorf("write emulator launcher: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write emulator launcher: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("write emulator launcher: %w", err)
	}
	return path, nil
}

// Stop kills the emulator and waits for it to exit. It is safe to call more
// than once and after the process has exited by itself.
func (s *Server) Stop() error {
	var err error
	s.stopOnce.Do(func() {
		_ = s.stdin.Close()
		if killErr := s.cmd.Process.Kill(); killErr != nil && !errors.Is(killErr, os.ErrProcessDone) {
			err = fmt.Errorf("kill emulator (pid %d): %w", s.cmd.Process.Pid, killErr)
		}
		<-s.exited
	})
	return err
}

// Reset wipes all emulated state (moto's backends and the patched state kept in them).
func (s *Server) Reset(ctx context.Context) error {
	if err := s.post(ctx, "/moto-api/reset", nil, http.StatusOK); err != nil {
		return fmt.Errorf("reset emulator: %w", err)
	}
	return nil
}

// SetESMState makes an event source mapping report the given State,
// LastProcessingResult and StateTransitionReason, as AWS does when its pollers
// hit a problem, e.g. ("Enabled", "PROBLEM: Connection error. ...", "").
// Empty values keep moto's own answer.
func (s *Server) SetESMState(ctx context.Context, uuid, state, lastProcessingResult, reason string) error {
	body, err := json.Marshal(map[string]string{
		"uuid":                  uuid,
		"state":                 state,
		"lastProcessingResult":  lastProcessingResult,
		"stateTransitionReason": reason,
	})
	if err != nil {
		return fmt.Errorf("encode state of ESM %s: %w", uuid, err)
	}
	if err := s.post(ctx, "/_vpcmedic/esm-state", body, http.StatusNoContent); err != nil {
		return fmt.Errorf("set state of ESM %s: %w", uuid, err)
	}
	return nil
}

// FunctionState is what Lambda says of a function: its State and
// LastUpdateStatus, with their reason codes and reasons.
type FunctionState struct {
	State                      string `json:"state,omitempty"`
	StateReason                string `json:"stateReason,omitempty"`
	StateReasonCode            string `json:"stateReasonCode,omitempty"`
	LastUpdateStatus           string `json:"lastUpdateStatus,omitempty"`
	LastUpdateStatusReason     string `json:"lastUpdateStatusReason,omitempty"`
	LastUpdateStatusReasonCode string `json:"lastUpdateStatusReasonCode,omitempty"`
}

// SetFunctionState makes a function (by name or ARN) report the given state
// in GetFunction and GetFunctionConfiguration, as AWS does when Lambda could
// not set it up, e.g. State Failed with StateReasonCode
// SubnetOutOfIPAddresses. Empty fields keep moto's own answer.
func (s *Server) SetFunctionState(ctx context.Context, function string, state FunctionState) error {
	body, err := json.Marshal(struct {
		FunctionName string `json:"functionName"`
		FunctionState
	}{function, state})
	if err != nil {
		return fmt.Errorf("encode state of function %s: %w", function, err)
	}
	if err := s.post(ctx, "/_vpcmedic/function-state", body, http.StatusNoContent); err != nil {
		return fmt.Errorf("set state of function %s: %w", function, err)
	}
	return nil
}

// postAttempts bounds the tries of a test-only request: each sets state to
// what it says (a reset, a mapping's state), so trying again after a
// dropped connection is safe.
const postAttempts = 3

func (s *Server) post(ctx context.Context, path string, body []byte, want int) error {
	var resp *http.Response
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err = s.client.Do(req)
		if err == nil {
			break
		}
		if attempt == postAttempts || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, strings.TrimSpace(string(text)))
	}
	return nil
}

// Config returns an SDK configuration pointing at the emulator: region
// us-east-1, static credentials test/test. Every call retries connection
// errors, up to three attempts: a loaded machine now and then drops a
// connection while an answer is read, and the emulator answers a retried
// attempt of a call it already carried out with that call's answer (see
// ReplayAnswers in launcher.py), so a change is never made twice. Nothing
// else is retried: moto answers unimplemented operations with HTTP 500. It
// reads no environment variables or shared config files.
func (s *Server) Config(ctx context.Context) (aws.Config, error) {
	if err := ctx.Err(); err != nil {
		return aws.Config{}, err
	}
	return aws.Config{
		Region:       Region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("test", "test", "")),
		BaseEndpoint: aws.String(s.URL),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
			})
		},
	}, nil
}

// Env returns the environment variables that point an SDK or the AWS CLI in a
// subprocess at the emulator; append them to os.Environ(). The SDK's
// standard retries stay on (three attempts): they also retry moto's 500s,
// which costs time only on calls that fail anyway, and they carry the
// dropped connections of a loaded machine.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL,
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=3",
	}
}

// tailBuffer keeps the last max bytes written to it; safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
