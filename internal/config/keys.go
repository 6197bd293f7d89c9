package config

// key describes one configuration key: its name in the file, its environment
// variable, its command-line flag (if any), and where its value lives.
type key struct {
	name string
	env  string
	flag string
	str  func(*Config) *string
	bool func(*Config) *bool
}

// keys is the single table of configuration keys; loading, precedence and
// error messages are all driven from it.
var keys = []key{
	{name: "vcenter_host", env: "VCENTER_HOST", str: func(c *Config) *string { return &c.VCenterHost }},
	{name: "vcenter_user", env: "VCENTER_USER", str: func(c *Config) *string { return &c.VCenterUser }},
	{name: "vcenter_password", env: "VCENTER_PASSWORD", str: func(c *Config) *string { return &c.VCenterPassword }},
	{name: "datacenter", env: "VCENTER_DATACENTER", str: func(c *Config) *string { return &c.Datacenter }},
	{name: "cluster", env: "VCENTER_CLUSTER", str: func(c *Config) *string { return &c.Cluster }},
	{name: "datastore", env: "VCENTER_DATASTORE", str: func(c *Config) *string { return &c.Datastore }},
	{name: "network", env: "VCENTER_NETWORK", str: func(c *Config) *string { return &c.Network }},
	{name: "insecure", env: "VCENTER_INSECURE", bool: func(c *Config) *bool { return &c.Insecure }},
	{name: "ca_file", env: "VCENTER_CA_FILE", str: func(c *Config) *string { return &c.CAFile }},
	{name: "api_key", env: "MCP_API_KEY", str: func(c *Config) *string { return &c.APIKey }},
	{name: "listen", env: "MCP_LISTEN", flag: "listen", str: func(c *Config) *string { return &c.Listen }},
	{name: "transport", env: "MCP_TRANSPORT", flag: "transport", str: func(c *Config) *string { return &c.Transport }},
	{name: "tls_cert_file", env: "MCP_TLS_CERT_FILE", str: func(c *Config) *string { return &c.TLSCertFile }},
	{name: "tls_key_file", env: "MCP_TLS_KEY_FILE", str: func(c *Config) *string { return &c.TLSKeyFile }},
	{name: "log_file", env: "MCP_LOG_FILE", flag: "log-file", str: func(c *Config) *string { return &c.LogFile }},
	{name: "log_level", env: "MCP_LOG_LEVEL", flag: "log-level", str: func(c *Config) *string { return &c.LogLevel }},
	{name: "simulator", env: "MCP_SIMULATOR", flag: "simulator", bool: func(c *Config) *bool { return &c.Simulator }},
	{name: "read_only", env: "MCP_READ_ONLY", flag: "read-only", bool: func(c *Config) *bool { return &c.ReadOnly }},
	{name: "disable_destructive", env: "MCP_DISABLE_DESTRUCTIVE", flag: "disable-destructive", bool: func(c *Config) *bool { return &c.DisableDestructive }},
}

// KeyInfo is the public view of a configuration key, for documentation.
type KeyInfo struct {
	Name, Env, Flag string
	Bool            bool
}

// Keys lists every configuration key in the order of the table.
func Keys() []KeyInfo {
	out := make([]KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = KeyInfo{Name: k.name, Env: k.env, Flag: k.flag, Bool: k.bool != nil}
	}
	return out
}

func lookupKey(name string) (key, bool) {
	for _, k := range keys {
		if k.name == name {
			return k, true
		}
	}
	return key{}, false
}
