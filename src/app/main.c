/*
 * main.c - bin/handler: the notification app's functions (one C file per
 * function in this folder, each registering itself) served by the
 * custom-handler runtime (src/azf).
 */
#include "app.h"

#include "util/banned.h"

int main(int argc, char **argv)
{
    return azf_main(argc, argv, &app_description);
}
