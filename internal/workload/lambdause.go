package workload

// LambdaUse is what Lambda itself calls with a function's execution role,
// outside the function's VPC: the pollers of the event sources that
// invoke it, the destinations and dead-letter target it delivers to, the
// secrets of its mappings, the key of its environment.
type LambdaUse struct {
	// EventSources are the ARNs of the sources whose mappings invoke the
	// function; MappingsRead says they were read (a listing of every
	// mapping, or the function's own).
	EventSources []string
	MappingsRead bool
	// Targets are ARNs Lambda calls on the function's behalf: the
	// dead-letter target, asynchronous and mapping destinations, the
	// mappings' secrets.
	Targets []string
	// DestinationsRead says the asynchronous invocation configurations
	// were read.
	DestinationsRead bool
	// KMSKeyARN is the customer managed key of the environment.
	KMSKeyARN string
	// Unread say what could not be read, and why.
	Unread []string
}
