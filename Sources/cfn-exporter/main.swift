#if canImport(Glibc)
import Glibc
#endif

// Everything lives in Exporter.swift: code here would be main-actor isolated, and callbacks that
// libmicrohttpd or a plugin run on their own threads must not be.
exit(Exporter.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: environmentVariables()))
