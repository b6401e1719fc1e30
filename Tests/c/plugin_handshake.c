/*
 * plugin_handshake.c - loads a plugin with dlopen as any host would and checks its descriptor
 * and option handling. Usage: plugin_handshake PLUGIN.so EXPECTED_NAME
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "cfn_plugin.h"

static void log_line(void *context, int level, const char *message, const char *fields)
{
    (void)context;
    fprintf(stderr, "level=%d msg=\"%s\" %s\n", level, message, fields ? fields : "");
}

int main(int argc, char **argv)
{
    cfn_plugin_host host = {sizeof(cfn_plugin_host), NULL, log_line};
    void *library;
    cfn_plugin_entry_fn entry;
    const cfn_plugin *plugin;
    cfn_plugin_option bad = {"no_such_option", "1"};
    char error[256] = "";
    void *state = NULL;

    if (argc != 3) {
        fprintf(stderr, "usage: %s PLUGIN.so EXPECTED_NAME\n", argv[0]);
        return 2;
    }
    library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    entry = (cfn_plugin_entry_fn)dlsym(library, CFN_PLUGIN_ENTRY_SYMBOL);
    if (entry == NULL || (plugin = entry()) == NULL) {
        printf("no descriptor\n");
        return 1;
    }
    if (plugin->abi_version != CFN_PLUGIN_ABI_VERSION || strcmp(plugin->name, argv[2]) != 0) {
        printf("descriptor: abi %u name %s\n", plugin->abi_version, plugin->name);
        return 1;
    }
    if (plugin->init(&host, &bad, 1, &state, error, sizeof(error)) == CFN_OK) {
        printf("init accepted an unknown option\n");
        return 1;
    }
    printf("abi=%u name=%s version=%s refused=%s\n", plugin->abi_version, plugin->name,
           plugin->version, error);
    return 0;
}
