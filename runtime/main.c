#include <stdio.h>
int main(void) { puts("dett: under construction"); return 0; }
