package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The deployment files (Dockerfile, deploy/systemd, deploy/kubernetes)
// cannot run here, so this checks what can be checked: they parse, and the
// command line each one starts is one this binary accepts and turns into a
// valid node configuration. A renamed flag breaks this test, not a
// production rollout.

// checkCommandLine runs args (argv[0] excluded) through the real command
// tree as far as a node's validated configuration.
func checkCommandLine(t *testing.T, what string, args []string) {
	t.Helper()
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("%s: command line %q does not run `sibyl serve`", what, args)
	}
	cmd := newServeCmd()
	var f serveFlags
	cmd.ResetFlags()
	f.register(cmd.Flags())
	if err := cmd.Flags().Parse(args[1:]); err != nil {
		t.Fatalf("%s: %q: %v", what, args, err)
	}
	if rest := cmd.Flags().Args(); len(rest) > 0 {
		t.Fatalf("%s: stray arguments %q", what, rest)
	}
	cfg, err := f.config(cmd.Flags())
	if err != nil {
		t.Fatalf("%s: %q: %v", what, args, err)
	}
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("%s: %q: %v", what, args, err)
	}
}

// dockerInstruction returns the JSON (exec form) argument list of the
// Dockerfile's last instr instruction.
func dockerInstruction(t *testing.T, dockerfile, instr string) []string {
	t.Helper()
	var last string
	sc := bufio.NewScanner(strings.NewReader(dockerfile))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), instr+" "); ok {
			last = rest
		}
	}
	var args []string
	if err := json.Unmarshal([]byte(last), &args); err != nil {
		t.Fatalf("Dockerfile %s is not in exec (JSON) form: %q: %v", instr, last, err)
	}
	return args
}

func TestDockerfileCommandLine(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	entry := dockerInstruction(t, df, "ENTRYPOINT")
	if len(entry) != 1 || entry[0] != "/usr/local/bin/sibyl" {
		t.Fatalf("ENTRYPOINT = %q, want the binary alone", entry)
	}
	if !regexp.MustCompile(`(?m)^COPY --from=build /out/sibyl /usr/local/bin/sibyl$`).MatchString(df) ||
		!regexp.MustCompile(`(?m)^RUN CGO_ENABLED=0 go build .* -o /out/sibyl ./cmd/sibyl$`).MatchString(df) {
		t.Fatal("the image does not carry a static build of ./cmd/sibyl at the ENTRYPOINT's path")
	}
	if !regexp.MustCompile(`(?m)^USER [1-9][0-9]*:[1-9][0-9]*$`).MatchString(df) {
		t.Fatal("the image must run as a non-root numeric user")
	}
	args := dockerInstruction(t, df, "CMD")
	// The container's interface is eth0; this machine's loopback stands in.
	for i, a := range args {
		if a == "eth0" {
			args[i] = "lo"
		}
	}
	checkCommandLine(t, "Dockerfile CMD", args)
	if !slicesContainsPair(args, "--data-dir", "/var/lib/sibyl") || !strings.Contains(df, `VOLUME ["/var/lib/sibyl"]`) {
		t.Fatal("the data directory is not the image's volume")
	}
}

func slicesContainsPair(args []string, flag, value string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag && args[i+1] == value {
			return true
		}
	}
	return false
}

func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile("../../deploy/systemd/sibyl.service")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]map[string]string{}
	var cur string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			cur = strings.Trim(line, "[]")
			sections[cur] = map[string]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || cur == "" {
				t.Fatalf("line %d is not key=value inside a section: %q", i+1, line)
			}
			sections[cur][k] = v
		}
	}
	svc := sections["Service"]
	if svc == nil || sections["Unit"] == nil || sections["Install"] == nil {
		t.Fatalf("sections: %v", sections)
	}
	if svc["User"] == "" || svc["User"] == "root" {
		t.Fatal("the service must run as its own user")
	}
	argv := strings.Fields(svc["ExecStart"])
	if len(argv) < 2 || !filepath.IsAbs(argv[0]) || filepath.Base(argv[0]) != "sibyl" {
		t.Fatalf("ExecStart = %q: want the absolute path of sibyl", svc["ExecStart"])
	}
	// The unit reads /etc/sibyl/sibyl.yaml: check it with the sample
	// shipped beside it.
	for i, a := range argv {
		if a == "/etc/sibyl/sibyl.yaml" {
			argv[i] = "../../deploy/systemd/sibyl.yaml"
		}
	}
	checkCommandLine(t, "sibyl.service ExecStart", argv[1:])
}

func TestKubernetesManifests(t *testing.T) {
	data, err := os.ReadFile("../../deploy/kubernetes/sibyl.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type container struct {
		Name  string
		Image string
		Args  []string
		Env   []struct{ Name string }
		Ports []struct {
			Name          string
			ContainerPort int `yaml:"containerPort"`
		}
		ReadinessProbe struct {
			TCPSocket struct{ Port string } `yaml:"tcpSocket"`
		} `yaml:"readinessProbe"`
	}
	type doc struct {
		Kind     string
		Metadata struct{ Name string }
		Spec     struct {
			ClusterIP                string `yaml:"clusterIP"`
			PublishNotReadyAddresses bool   `yaml:"publishNotReadyAddresses"`
			ServiceName              string `yaml:"serviceName"`
			MaxUnavailable           int    `yaml:"maxUnavailable"`
			Selector                 struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			}
			Template struct {
				Metadata struct{ Labels map[string]string }
				Spec     struct {
					TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
					Containers                    []container
				}
			}
		}
	}
	byKind := map[string][]doc{}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var d doc
		if err := dec.Decode(&d); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("manifest: %v", err)
		}
		byKind[d.Kind] = append(byKind[d.Kind], d)
	}
	if len(byKind["StatefulSet"]) != 1 || len(byKind["PodDisruptionBudget"]) != 1 {
		t.Fatalf("kinds: %v", byKind)
	}
	sts := byKind["StatefulSet"][0]
	var headless bool
	for _, svc := range byKind["Service"] {
		if svc.Metadata.Name == sts.Spec.ServiceName && svc.Spec.ClusterIP == "None" && svc.Spec.PublishNotReadyAddresses {
			headless = true
		}
	}
	if !headless {
		t.Fatalf("no headless Service %q publishing unready pods (the seeds must resolve while the cluster forms)", sts.Spec.ServiceName)
	}
	for k, v := range sts.Spec.Selector.MatchLabels {
		if sts.Spec.Template.Metadata.Labels[k] != v {
			t.Fatalf("the StatefulSet's selector %s=%s does not match its pods", k, v)
		}
	}
	if byKind["PodDisruptionBudget"][0].Spec.MaxUnavailable != 1 {
		t.Fatal("the PodDisruptionBudget must allow one pod down at a time")
	}
	if sts.Spec.Template.Spec.TerminationGracePeriodSeconds < 30 {
		t.Fatal("give the drain time: terminationGracePeriodSeconds >= 30")
	}
	c := sts.Spec.Template.Spec.Containers[0]
	if c.ReadinessProbe.TCPSocket.Port != "cql" {
		t.Fatal("readiness must be the CQL port answering")
	}
	// Kubernetes expands $(VAR) in args from the container's env.
	env := map[string]string{"POD_IP": "127.0.0.1", "POD_NAMESPACE": "default"}
	for _, e := range c.Env {
		if _, ok := env[e.Name]; !ok {
			t.Fatalf("unexpected env %s", e.Name)
		}
	}
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = regexp.MustCompile(`\$\(([A-Z_]+)\)`).ReplaceAllStringFunc(a, func(m string) string {
			v, ok := env[m[2:len(m)-1]]
			if !ok {
				t.Fatalf("arg %q uses an undefined variable", a)
			}
			return v
		})
	}
	checkCommandLine(t, "StatefulSet container args", args)
}
