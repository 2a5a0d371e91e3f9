from ksef_mcu.cli import main

main()
