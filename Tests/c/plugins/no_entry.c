/* A shared object that is not a cfn-metrics plugin: it lacks the entry point. */
int cfn_something_else(void) { return 42; }
