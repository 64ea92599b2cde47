from esgcheck.cli import main

main()
