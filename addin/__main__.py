from addin.cli.commands import main

main()
