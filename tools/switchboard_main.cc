// STUB: the switchboard CLI (to be replaced).
#include <cstdio>
int main() { std::puts("switchboard: not implemented yet"); return 2; }
