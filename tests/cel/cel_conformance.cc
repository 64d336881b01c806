// STUB: the conformance runner (to be replaced).
int main() { return 0; }
