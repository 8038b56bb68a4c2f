#ifndef CSANDBOX_H
#define CSANDBOX_H
/* The child side of process creation: see sandbox.c. */
int csandbox_placeholder(void);
#endif
