"""The machine a plan is made for: detected (NVML, /proc/meminfo or psutil, cgroups, Apple, AMD) or
given by the user, turned into one HardwareProfile that the rest of the advisor reads."""
